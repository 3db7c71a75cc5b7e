import type { Config } from "../../env";

/** The sign-in providers this service knows (API.md "Sign in with another provider"). */
export const providerIds = ["github", "google", "oidc"] as const;
export type ProviderId = (typeof providerIds)[number];

/** What a provider told us about the person who came back from it. */
export interface ProviderIdentity {
  /** The provider's stable account id (never the email, which can change hands). */
  subject: string;
  /** Lower-cased; null when the provider has no verified one to give. */
  email: string | null;
  emailVerified: boolean;
  name: string | null;
}

/** The secrets of one flow that the provider sees in the authorization request. */
export interface FlowSecrets {
  state: string;
  codeVerifier: string;
  nonce: string;
}

/**
 * One sign-in provider. `identify` exchanges the code (PKCE) and reads who signed in; every
 * refusal throws `ProviderFailure` with the code the console shows.
 */
export interface SignInProvider {
  id: ProviderId;
  name: string;
  /** Whether the provider sends an ID token whose `nonce` binds it to this flow (OIDC). */
  usesNonce: boolean;
  /**
   * The `iss` values this provider may put on the browser's way back (RFC 9207); empty when it sends
   * none. A different `iss` is a mix-up attack (RFC 9700 §4.4): a code from another server.
   */
  issuers: readonly string[];
  authorizationUrl(secrets: FlowSecrets): Promise<URL>;
  identify(code: string, flow: { codeVerifier: string; nonceHash: string | null }): Promise<ProviderIdentity>;
}

/**
 * The codes a failed flow ends with, in `/console/sign-in?error=<code>` (the console turns each
 * into a sentence). They name what failed, never a secret or the provider's own message.
 */
export type ProviderFailureCode =
  | "invalid_state"
  | "provider_denied"
  | "provider_unavailable"
  | "code_exchange_failed"
  | "invalid_id_token"
  | "email_unverified"
  | "account_exists"
  | "identity_taken"
  | "too_many_attempts"
  | "mfa_unavailable"
  | "password_reset_required";

export class ProviderFailure extends Error {
  constructor(
    readonly code: ProviderFailureCode,
    /** A private reason for the audit row (no token, no provider text). */
    readonly reason: string = code,
  ) {
    super(code);
    this.name = "ProviderFailure";
  }
}

/** The redirect URI registered at every provider: `${APP_URL}/v1/auth/oauth/{provider}/callback`. */
export function callbackUrl(config: Config, provider: ProviderId): string {
  return new URL(`/v1/auth/oauth/${provider}/callback`, config.APP_URL).toString();
}

/** The providers whose settings are present, in a fixed order, with the name on their button. */
export function enabledProviders(config: Config): { id: ProviderId; name: string }[] {
  const enabled: { id: ProviderId; name: string }[] = [];
  if (config.GITHUB_CLIENT_ID && config.GITHUB_CLIENT_SECRET) enabled.push({ id: "github", name: "GitHub" });
  if (config.GOOGLE_CLIENT_ID && config.GOOGLE_CLIENT_SECRET) enabled.push({ id: "google", name: "Google" });
  if (config.OIDC_ISSUER && config.OIDC_CLIENT_ID && config.OIDC_CLIENT_SECRET) {
    enabled.push({ id: "oidc", name: config.OIDC_NAME });
  }
  return enabled;
}
