import jwt from "@tsndr/cloudflare-worker-jwt";
import * as z from "zod";
import { toBase64Url, utf8 } from "./encoding";
import { newId } from "./random";

export const TOKEN_ISSUER = "https://api.imagebot.app";
export const TOKEN_AUDIENCE = "imagebot-api";
export const TOKEN_LIFETIME_SECONDS = 7 * 24 * 60 * 60;
/** Tolerated clock difference between the isolates that sign and verify (RFC 7519 §4.1.4 "leeway"). */
export const CLOCK_SKEW_SECONDS = 60;

/** The verified claims of a session token (API.md "Credentials"). */
export const sessionClaimsSchema = z.object({
  userId: z.string().startsWith("usr_"),
  email: z.string(),
  sid: z.string().startsWith("ses_"),
  /**
   * When the session began (epoch ms), carried by every token of it, refreshed ones included:
   * what the user's guard compares with a "void everything before" cut-off. Tokens signed before
   * this claim existed lack it; they count as begun at 0, so any cut-off ends them.
   */
  sessionCreatedAt: z.int().nonnegative().default(0),
  jti: z.string().min(16),
  iat: z.int(),
  exp: z.int(),
  nbf: z.int().optional(),
  iss: z.literal(TOKEN_ISSUER),
  aud: z.literal(TOKEN_AUDIENCE),
});
export type SessionClaims = z.infer<typeof sessionClaimsSchema>;

export interface SigningKeys {
  current: string;
  previous?: string | undefined;
}

// `kid` names a secret without revealing it: a truncated hash of it. When JWT_SECRET rotates
// into JWT_SECRET_PREVIOUS its kid stays the same, so old tokens still find their key.
const keyIds = new Map<string, Promise<string>>();
function keyIdOf(secret: string): Promise<string> {
  let keyId = keyIds.get(secret);
  if (!keyId) {
    keyId = crypto.subtle
      .digest("SHA-256", utf8.encode(`imagebot-edge/jwt-kid/${secret}`))
      .then((digest) => toBase64Url(digest).slice(0, 16));
    keyIds.set(secret, keyId);
  }
  return keyId;
}

export interface TokenSubject {
  userId: string;
  email: string;
  sessionId: string;
  /** Epoch ms; the same for every token of the session. */
  sessionCreatedAt: number;
}

/** Signs a new token (fresh `jti`, issued now) for a session. */
export async function issueSessionToken(
  subject: TokenSubject,
  keys: SigningKeys,
  nowMs = Date.now(),
): Promise<{ token: string; expiresAt: Date }> {
  const iat = Math.floor(nowMs / 1000);
  const exp = iat + TOKEN_LIFETIME_SECONDS;
  const claims = {
    userId: subject.userId,
    email: subject.email,
    sid: subject.sessionId,
    sessionCreatedAt: subject.sessionCreatedAt,
    jti: newId("jti"),
    iat,
  };
  const token = await jwt.sign<SessionClaims, { kid: string }>(
    { ...claims, exp, iss: TOKEN_ISSUER, aud: TOKEN_AUDIENCE },
    await hmacKeyOf(keys.current),
    { algorithm: "HS256", header: { typ: "JWT", kid: await keyIdOf(keys.current) } },
  );
  return { token, expiresAt: new Date(exp * 1000) };
}

// Importing an HMAC key costs more than using it: one CryptoKey per secret per isolate.
const hmacKeys = new Map<string, Promise<CryptoKey>>();
function hmacKeyOf(secret: string): Promise<CryptoKey> {
  let key = hmacKeys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, [
      "sign",
      "verify",
    ]);
    hmacKeys.set(secret, key);
  }
  return key;
}

const headerSchema = z.strictObject({ alg: z.literal("HS256"), kid: z.string(), typ: z.literal("JWT").optional() });
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

function decodeSegment(segment: string): unknown {
  try {
    const padded = segment.replaceAll("-", "+").replaceAll("_", "/");
    const bytes = Uint8Array.from(atob(padded), (char) => char.charCodeAt(0));
    return JSON.parse(new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes));
  } catch {
    return undefined;
  }
}

/**
 * Checks a compact JWS and returns its decoded payload, or null. The algorithm is pinned to
 * HS256 (RFC 8725 §3.1: never let the token choose), `kid` must name one of our secrets, and
 * the token must be exactly three segments: the library alone would ignore a fourth, which
 * would make tokens malleable.
 */
async function verifiedPayload(token: string, keys: SigningKeys): Promise<unknown> {
  if (!COMPACT_JWS.test(token)) return null;
  const [encodedHeader, encodedPayload] = token.split(".") as [string, string, string];
  const header = headerSchema.safeParse(decodeSegment(encodedHeader));
  if (!header.success) return null;

  let secret: string | undefined;
  for (const candidate of [keys.current, keys.previous]) {
    if (candidate && (await keyIdOf(candidate)) === header.data.kid) secret = candidate;
  }
  if (!secret) return null;

  // The library decodes the payload itself and throws when it is not JSON (`<header>.A.<sig>`):
  // a token it cannot read is a token that fails, never an error of ours.
  const verified = await jwt
    .verify(token, await hmacKeyOf(secret), { algorithm: "HS256", clockTolerance: CLOCK_SKEW_SECONDS })
    .catch(() => undefined);
  return verified ? decodeSegment(encodedPayload) : null;
}

/** Verifies a session token (`exp` mandatory, 60 s of skew at most); returns its claims or null. */
export async function verifySessionToken(token: string, keys: SigningKeys, nowSeconds: number) {
  const claims = sessionClaimsSchema.safeParse(await verifiedPayload(token, keys));
  if (!claims.success) return null;
  const { iat, exp, nbf } = claims.data;
  if (exp + CLOCK_SKEW_SECONDS <= nowSeconds) return null;
  if (iat - CLOCK_SKEW_SECONDS > nowSeconds) return null;
  if (nbf !== undefined && nbf - CLOCK_SKEW_SECONDS > nowSeconds) return null;
  if (exp - iat > TOKEN_LIFETIME_SECONDS) return null;
  return claims.data;
}

/** The second step of a login with 2FA: a token good for one `POST /v1/auth/login/mfa`, 5 minutes. */
export const MFA_TOKEN_AUDIENCE = "imagebot-login-mfa";
export const MFA_TOKEN_LIFETIME_SECONDS = 5 * 60;

const mfaClaimsSchema = z.strictObject({
  userId: z.string().startsWith("usr_"),
  jti: z.string().min(16),
  iat: z.int(),
  exp: z.int(),
  iss: z.literal(TOKEN_ISSUER),
  // A different audience: a session token is never an mfa token, nor the other way round.
  aud: z.literal(MFA_TOKEN_AUDIENCE),
});

export async function issueMfaToken(userId: string, keys: SigningKeys, nowMs = Date.now()) {
  const iat = Math.floor(nowMs / 1000);
  return jwt.sign(
    {
      userId,
      jti: newId("jti"),
      iat,
      exp: iat + MFA_TOKEN_LIFETIME_SECONDS,
      iss: TOKEN_ISSUER,
      aud: MFA_TOKEN_AUDIENCE,
    },
    await hmacKeyOf(keys.current),
    { algorithm: "HS256", header: { typ: "JWT", kid: await keyIdOf(keys.current) } },
  );
}

export async function verifyMfaToken(token: string, keys: SigningKeys, nowSeconds: number) {
  const claims = mfaClaimsSchema.safeParse(await verifiedPayload(token, keys));
  if (!claims.success) return null;
  const { iat, exp } = claims.data;
  if (exp <= nowSeconds || iat - CLOCK_SKEW_SECONDS > nowSeconds || exp - iat > MFA_TOKEN_LIFETIME_SECONDS) return null;
  return claims.data;
}
