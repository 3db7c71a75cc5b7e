import type { OAuth2Tokens } from "arctic";
import { ProviderFailure } from "./provider";

/** A provider that has not answered in this time is treated as down (the browser is waiting). */
export const PROVIDER_TIMEOUT_MS = 5_000;

/**
 * Runs arctic's code exchange and checks it yielded an access token. Whatever went wrong (an
 * OAuth error such as `invalid_grant`, a wrong PKCE verifier, an unreachable endpoint, or a 200
 * that carries an error, which GitHub sends) is one failure: the provider's text is not shown.
 */
export async function exchangeCode(exchange: () => Promise<OAuth2Tokens>): Promise<OAuth2Tokens> {
  try {
    const tokens = await exchange();
    tokens.accessToken();
    return tokens;
  } catch (error) {
    throw new ProviderFailure("code_exchange_failed", error instanceof Error ? error.name : "unknown");
  }
}

/** GET a provider's JSON API (user profile, emails, discovery), with a timeout; null when it fails. */
export async function providerFetch(url: string, headers: Record<string, string> = {}): Promise<unknown> {
  try {
    const response = await fetch(url, {
      headers: { "User-Agent": "imagebot-edge", Accept: "application/json", ...headers },
      signal: AbortSignal.timeout(PROVIDER_TIMEOUT_MS),
      redirect: "manual",
    });
    if (!response.ok) {
      await response.body?.cancel();
      return null;
    }
    return await response.json();
  } catch {
    return null;
  }
}
