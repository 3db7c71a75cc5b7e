import type { Context } from "hono";
import type { AppEnv } from "../env";

/** WebAuthn's unit of time: challenges live 5 minutes (API.md "Passkeys"). */
export const CHALLENGE_LIFETIME_MS = 5 * 60 * 1000;

/** The relying party name shown by authenticators next to the account. */
export const RELYING_PARTY_NAME = "ImageBot";

/**
 * Signature algorithms accepted for new passkeys (COSE ids): ES256 (every platform authenticator),
 * EdDSA, RS256 (Windows Hello). Fixed here, so registration and verification agree on them.
 */
export const SUPPORTED_ALGORITHMS = [-7, -8, -257];

/**
 * The relying party: the domain passkeys are bound to and the page origins allowed to use them.
 * Outside development the configuration must name them (env.ts refuses to start otherwise);
 * locally they default to `localhost` and `http://localhost:8787`, since an IP address is never a
 * valid RP ID (WebAuthn Level 3, §5.1.3 step 8).
 */
export function relyingParty(c: Context<AppEnv>): { rpId: string; origins: string[] } {
  const config = c.get("config");
  return {
    rpId: config.WEBAUTHN_RP_ID ?? "localhost",
    origins: config.WEBAUTHN_ORIGINS.length > 0 ? config.WEBAUTHN_ORIGINS : ["http://localhost:8787"],
  };
}

/** The WebAuthn user handle of an account: its opaque id (no email or name in it, §14.6.1). */
export function userHandleOf(userId: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(new TextEncoder().encode(userId));
}
