import type { Context } from "hono";
import { API_KEY_FORMAT, API_KEY_PREFIX } from "../crypto/api-key";
import { sha256Hex } from "../crypto/hash";
import { verifySessionToken } from "../crypto/jwt";
import { timingSafeEqualStrings } from "../crypto/timing-safe";
import type { AppEnv } from "../env";
import { cachedApiKey, checkApiKey, type KeyRejection } from "./api-keys";
import type { ApiKeyPrincipal, SessionPrincipal } from "./principal";
import { sessionCookieOf } from "./session-cookie";
import { signingKeys } from "./signing-keys";

const MAX_AUTHORIZATION_BYTES = 8 * 1024;

/**
 * What the request's credential proves, found without reading any storage. Every failure is a
 * value: nothing a client sends makes this stage throw.
 * - `missing`: no Authorization header at all.
 * - `invalid`: malformed, forged, expired or unknown-format credential.
 * - `rejected_key`: a key this isolate knows to be revoked, expired or used from outside its allowlist.
 * - `unknown_key`: a well-formed key this isolate has not seen: D1 must be asked, after admission.
 * - `session` / `api_key`: verified locally; the user's guard still decides revocation.
 */
export type Identity =
  | { kind: "missing" }
  | { kind: "invalid" }
  | { kind: "rejected_key"; rejection: KeyRejection }
  | { kind: "unknown_key"; keyHash: string }
  | { kind: "session"; principal: SessionPrincipal }
  | { kind: "api_key"; principal: ApiKeyPrincipal };

/** The token of `Authorization: Bearer <token>`, or why there is none. */
function bearerToken(c: Context<AppEnv>): { token: string } | { kind: "missing" | "invalid" } {
  const header = c.req.header("Authorization");
  if (header === undefined || header === "") return { kind: "missing" };
  if (header.length > MAX_AUTHORIZATION_BYTES) return { kind: "invalid" };
  const token = /^Bearer +(\S+)$/i.exec(header)?.[1];
  return token ? { token } : { kind: "invalid" };
}

async function identifyApiKey(c: Context<AppEnv>, presented: string): Promise<Identity> {
  if (!API_KEY_FORMAT.test(presented)) return { kind: "invalid" };
  const keyHash = await sha256Hex(presented);
  const now = Date.now();
  const key = cachedApiKey(keyHash, now);
  if (!key) return { kind: "unknown_key", keyHash };
  const check = checkApiKey(key, c.get("clientIp"), now);
  return check.ok ? { kind: "api_key", principal: check.principal } : { kind: "rejected_key", rejection: check };
}

async function identifySession(c: Context<AppEnv>, token: string, via: SessionPrincipal["via"]): Promise<Identity> {
  const claims = await verifySessionToken(token, signingKeys(c), Math.floor(Date.now() / 1000));
  if (!claims) return { kind: "invalid" };
  return {
    kind: "session",
    principal: {
      kind: "session",
      userId: claims.userId,
      email: claims.email,
      sessionId: claims.sid,
      via,
      sessionCreatedAt: claims.sessionCreatedAt,
      tokenId: claims.jti,
      issuedAt: claims.iat,
      expiresAt: claims.exp,
    },
  };
}

/**
 * Identifies the caller of a session or session-or-key route: from `Authorization` when the
 * request has one (it decides, the cookie is then ignored), else from the session cookie, which
 * only ever holds a session token: an API key is never read from a cookie.
 */
export async function identifyCaller(c: Context<AppEnv>): Promise<Identity> {
  const bearer = bearerToken(c);
  if (!("token" in bearer)) {
    if (bearer.kind === "invalid") return bearer;
    const cookie = sessionCookieOf(c);
    if (cookie === undefined) return bearer;
    return cookie.startsWith(API_KEY_PREFIX) ? { kind: "invalid" } : identifySession(c, cookie, "cookie");
  }
  // API keys are told apart from JWTs by their prefix; a JWT never starts with it.
  if (bearer.token.startsWith(API_KEY_PREFIX)) return identifyApiKey(c, bearer.token);
  return identifySession(c, bearer.token, "bearer");
}

/** Whether the bearer credential is the operator's ADMIN_TOKEN (constant time; absent, nobody is). */
export async function identifyOperator(c: Context<AppEnv>): Promise<"operator" | "missing" | "invalid"> {
  const bearer = bearerToken(c);
  if (!("token" in bearer)) return bearer.kind;
  const expected = c.get("config").ADMIN_TOKEN;
  return expected && (await timingSafeEqualStrings(bearer.token, expected)) ? "operator" : "invalid";
}
