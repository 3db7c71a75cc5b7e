import { createRemoteJWKSet, type JWTPayload, jwtVerify } from "jose";
import { sha256Hex } from "../../crypto/hash";
import { timingSafeEqualStrings } from "../../crypto/timing-safe";
import { ProviderFailure, type ProviderIdentity } from "./provider";

/** Seconds of clock difference tolerated on `exp`/`iat` (OIDC Core §3.1.3.7 leaves it to us). */
const CLOCK_TOLERANCE_SECONDS = 60;

/**
 * One remote key set per JWKS URL and isolate: jose caches the keys itself (and fetches again,
 * at most every 30 s, when a token names a key it has not seen, which is how rotations arrive).
 */
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();
function remoteKeySet(jwksUri: string) {
  let keySet = keySets.get(jwksUri);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 5_000 });
    keySets.set(jwksUri, keySet);
  }
  return keySet;
}

export const nonceHashOf = (nonce: string) => sha256Hex(`imagebot-edge/oidc-nonce/${nonce}`);

/**
 * Verifies an ID token as OIDC Core §3.1.3.7 asks, with jose (no hand-written crypto): the
 * signature against the issuer's JWKS (asymmetric algorithms only, never `none` or HS*), the
 * issuer, our client id in the audience (and `azp` when there are several), expiry, and the
 * nonce this flow sent (compared by hash: only the hash is stored). Returns who it names.
 */
export async function verifyIdToken(
  idToken: string,
  expected: { jwksUri: string; issuers: string[]; clientId: string; nonceHash: string | null },
): Promise<ProviderIdentity> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, remoteKeySet(expected.jwksUri), {
      issuer: expected.issuers,
      audience: expected.clientId,
      algorithms: ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ["sub", "exp", "iat"],
    }));
  } catch (error) {
    throw new ProviderFailure("invalid_id_token", error instanceof Error ? `jose:${error.name}` : "jose");
  }
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && payload.azp !== expected.clientId) {
    throw new ProviderFailure("invalid_id_token", "azp");
  }
  if (expected.nonceHash !== null) {
    const nonce = typeof payload.nonce === "string" ? payload.nonce : "";
    if (!(await timingSafeEqualStrings(await nonceHashOf(nonce), expected.nonceHash))) {
      throw new ProviderFailure("invalid_id_token", "nonce");
    }
  }
  const subject = typeof payload.sub === "string" ? payload.sub : "";
  if (subject.length === 0 || subject.length > 255) throw new ProviderFailure("invalid_id_token", "sub");
  const email = typeof payload.email === "string" ? payload.email.trim().toLowerCase() : null;
  // Only a literal `true` counts (some providers send the string "true"; that is not a promise).
  const emailVerified = payload.email_verified === true && email !== null;
  const name = typeof payload.name === "string" ? payload.name : null;
  return { subject, email, emailVerified, name };
}
