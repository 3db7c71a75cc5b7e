import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { toBase64Url, utf8 } from "../../crypto/encoding";
import { sha256Hex } from "../../crypto/hash";
import { randomToken } from "../../crypto/random";
import { timingSafeEqualStrings } from "../../crypto/timing-safe";
import { database } from "../../db/client";
import { consumeOAuthState, insertOAuthState } from "../../db/oauth-states";
import type { OAuthState } from "../../db/schema";
import type { AppEnv } from "../../env";
import { nonceHashOf } from "./id-token";
import { ProviderFailure, type SignInProvider } from "./provider";

/** A flow must come back within 10 minutes (API.md), and is then used up. */
export const FLOW_LIFETIME_MS = 10 * 60 * 1000;

/**
 * The browser-binding cookie: `__Host-imagebot_oauth`, a random value whose hash is stored with
 * every flow this browser starts; the callback must bring the same value back, so a `state`
 * lifted from one browser (or planted in a victim's, login CSRF: RFC 6749 §10.12) fails in any
 * other. `__Host-` pins it to this origin (Secure, Path=/, no Domain); HttpOnly hides it from
 * script. SameSite is Lax, not Strict, on purpose: the callback is a top-level GET navigation
 * that starts on the provider's site, and a Strict cookie would not be sent with it (a cross-site
 * POST, which Lax blocks, is never how a flow comes back: we use the query response mode).
 */
const BINDING_COOKIE = "imagebot_oauth";
const BINDING_VALUE = /^[A-Za-z0-9_-]{43}$/;

const stateHashOf = (state: string) => sha256Hex(`imagebot-edge/oauth-state/${state}`);
const browserHashOf = (binding: string) => sha256Hex(`imagebot-edge/oauth-browser/${binding}`);

/**
 * The PKCE verifier (RFC 7636 §4.1: 43 characters of base64url) is derived from the browser's
 * binding value and the flow's state rather than stored: the table alone cannot finish a flow.
 */
async function codeVerifierOf(binding: string, state: string): Promise<string> {
  return toBase64Url(await crypto.subtle.digest("SHA-256", utf8.encode(`imagebot-edge/pkce/${binding}/${state}`)));
}

function bindingOf(c: Context<AppEnv>): string | undefined {
  const value = getCookie(c, BINDING_COOKIE, "host");
  return value && BINDING_VALUE.test(value) ? value : undefined;
}

/**
 * Starts a flow: stores it (hashes only), binds it to this browser, and returns the provider's
 * authorization URL with `state`, the PKCE challenge and (OIDC) the `nonce`. A browser that
 * already has a binding keeps it, so two tabs can sign in at once.
 */
export async function startFlow(
  c: Context<AppEnv>,
  provider: SignInProvider,
  flow: { returnTo: string; linkUserId: string | null },
): Promise<URL> {
  const binding = bindingOf(c) ?? randomToken(32);
  const state = randomToken(32);
  const nonce = randomToken(32);
  const codeVerifier = await codeVerifierOf(binding, state);
  const url = await provider.authorizationUrl({ state, codeVerifier, nonce });
  const now = Date.now();
  await insertOAuthState(database(c.env.DB), {
    stateHash: await stateHashOf(state),
    browserHash: await browserHashOf(binding),
    provider: provider.id,
    nonceHash: provider.usesNonce ? await nonceHashOf(nonce) : null,
    linkUserId: flow.linkUserId,
    returnTo: flow.returnTo,
    createdAt: new Date(now),
    expiresAt: new Date(now + FLOW_LIFETIME_MS),
  });
  setCookie(c, BINDING_COOKIE, binding, {
    prefix: "host",
    httpOnly: true,
    secure: true,
    sameSite: "Lax",
    path: "/",
    maxAge: FLOW_LIFETIME_MS / 1000,
  });
  return url;
}

export interface ResumedFlow {
  row: OAuthState;
  codeVerifier: string;
}

/**
 * Takes the flow named by `state` out of storage (used up whatever happens next) and checks it:
 * not expired, started for this provider, and by this browser. Any miss is `invalid_state`.
 */
export async function resumeFlow(c: Context<AppEnv>, provider: SignInProvider, state: string): Promise<ResumedFlow> {
  if (state.length === 0 || state.length > 128) throw new ProviderFailure("invalid_state", "state_malformed");
  const row = await consumeOAuthState(database(c.env.DB), await stateHashOf(state));
  if (!row) throw new ProviderFailure("invalid_state", "state_unknown_or_used");
  if (row.expiresAt.getTime() <= Date.now()) throw new ProviderFailure("invalid_state", "state_expired");
  if (row.provider !== provider.id) throw new ProviderFailure("invalid_state", "state_other_provider");
  const binding = bindingOf(c);
  if (!binding || !(await timingSafeEqualStrings(await browserHashOf(binding), row.browserHash))) {
    throw new ProviderFailure("invalid_state", "state_other_browser");
  }
  return { row, codeVerifier: await codeVerifierOf(binding, state) };
}
