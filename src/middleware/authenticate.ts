import type { Context, MiddlewareHandler } from "hono";
import { API_KEY_PREFIX } from "../crypto/api-key";
import { issueSessionToken, verifySessionToken } from "../crypto/jwt";
import { timingSafeEqualStrings } from "../crypto/timing-safe";
import { database } from "../db/client";
import { extendSession, touchSession } from "../db/sessions";
import { withIpGuard, withUserGuard } from "../durable-objects/guard-client";
import type { AdmitRequest } from "../durable-objects/user-guard";
import type { AppEnv, Principal, SessionPrincipal } from "../env";
import { ApiError } from "../errors";
import type { AccessPolicy } from "../routes/access";
import { rejectKey, verifyApiKey } from "./authenticate-api-key";
import { admitUnauthenticatedRequest, ipBlocked, rateLimited, setRateLimitHeaders } from "./ip-admission";

const MAX_AUTHORIZATION_BYTES = 8 * 1024;
const SLIDING_REFRESH_AFTER_SECONDS = 24 * 60 * 60;
const LAST_SEEN_INTERVAL_MS = 60_000;

// RFC 6750 §3: a 401 names the scheme, and says `invalid_token` when one was presented.
const challenge = { "WWW-Authenticate": 'Bearer realm="imagebot"' };
const invalidTokenChallenge = { "WWW-Authenticate": 'Bearer realm="imagebot", error="invalid_token"' };

function rejectCredential(): never {
  throw new ApiError("unauthorized", { headers: invalidTokenChallenge });
}

export function signingKeys(c: Context<AppEnv>) {
  const config = c.get("config");
  return { current: config.JWT_SECRET, previous: config.JWT_SECRET_PREVIOUS };
}

function bearerToken(c: Context<AppEnv>): string {
  const header = c.req.header("Authorization");
  if (header === undefined || header === "") throw new ApiError("unauthorized", { headers: challenge });
  if (header.length > MAX_AUTHORIZATION_BYTES) rejectCredential();
  const match = /^Bearer +(\S+)$/i.exec(header);
  if (!match?.[1]) rejectCredential();
  return match[1];
}

/** Verifies a credential locally (signature, claims, key row) without any Durable Object. */
async function verifyCredential(c: Context<AppEnv>, token: string) {
  // API keys are told apart from JWTs by their prefix; a JWT never starts with it.
  if (token.startsWith(API_KEY_PREFIX)) {
    const key = await verifyApiKey(c, token);
    const principal: Principal = { kind: "api_key", userId: key.userId, keyId: key.id, scopes: key.scopes };
    const admit: AdmitRequest = { credential: { kind: "api_key", keyId: key.id } };
    return { principal, admit };
  }
  const claims = await verifySessionToken(token, signingKeys(c), Math.floor(Date.now() / 1000));
  if (!claims) rejectCredential();
  const principal: Principal = {
    kind: "session",
    userId: claims.userId,
    email: claims.email,
    sessionId: claims.sid,
    tokenId: claims.jti,
    issuedAt: claims.iat,
    expiresAt: claims.exp,
  };
  const admit: AdmitRequest = { credential: { kind: "session", sessionId: claims.sid, tokenId: claims.jti } };
  return { principal, admit };
}

/**
 * One authenticated request, one round trip: the user's Durable Object answers revocation and
 * the rolling window in its single `admit` call, while the IP's guard is asked, in parallel,
 * only whether an operator blocked the address.
 */
async function admitAuthenticated(c: Context<AppEnv>, principal: Principal, admit: AdmitRequest) {
  const [admission, blocked] = await Promise.all([
    withUserGuard(c.env, principal.userId, (guard) => guard.admit(admit)),
    withIpGuard(c.env, c.get("clientIp"), (guard) => guard.isBlocked()),
  ]);
  if (blocked) throw ipBlocked();
  if (admission.outcome === "revoked") {
    if (principal.kind === "api_key") return rejectKey(c, { id: principal.keyId, userId: principal.userId }, "revoked");
    rejectCredential();
  }
  if (admission.outcome === "rate_limited") throw rateLimited(admission.limit, admission.retryAfterSeconds);
  setRateLimitHeaders(c, admission);
}

async function authorizeKeyScope(c: Context<AppEnv>, principal: Principal, policy: AccessPolicy) {
  if (principal.kind !== "api_key") return;
  const allowed = policy.auth === "session_or_key" && principal.scopes.includes(policy.scope);
  if (!allowed) await rejectKey(c, { id: principal.keyId, userId: principal.userId }, "scope");
}

// Isolate-local memory of when each session's last-seen time was written; only a throttle for
// D1 writes, never consulted for a security decision.
const lastSeenWrites = new Map<string, number>();

function recordLastSeen(c: Context<AppEnv>, sessionId: string) {
  const now = Date.now();
  if (now - (lastSeenWrites.get(sessionId) ?? 0) < LAST_SEEN_INTERVAL_MS) return;
  if (lastSeenWrites.size > 10_000) lastSeenWrites.clear();
  lastSeenWrites.set(sessionId, now);
  c.executionCtx.waitUntil(touchSession(database(c.env.DB), sessionId, new Date(now), LAST_SEEN_INTERVAL_MS));
}

/** API.md: a valid request whose token is older than 24 h gets a fresh one for the same session. */
async function slideSession(c: Context<AppEnv>, principal: SessionPrincipal) {
  const now = Math.floor(Date.now() / 1000);
  if (now - principal.issuedAt < SLIDING_REFRESH_AFTER_SECONDS) return;
  if (c.get("tokenRetired") || c.res.status >= 400) return;
  const { token, expiresAt } = await issueSessionToken(principal, signingKeys(c));
  c.res.headers.set("X-Refreshed-Token", token);
  c.executionCtx.waitUntil(extendSession(database(c.env.DB), principal.sessionId, expiresAt));
}

/** The authenticated caller (a session or an API key) of a credentialed route. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw new ApiError("unauthorized", { headers: challenge });
  return principal;
}

/** The session of a session-only route (`authenticate` refuses API keys there). */
export function sessionPrincipalOf(c: Context<AppEnv>): SessionPrincipal {
  const principal = principalOf(c);
  if (principal.kind !== "session") throw new ApiError("forbidden");
  return principal;
}

/** A failed authentication is a request without a valid credential: it counts against the IP. */
async function chargingFailures<T>(c: Context<AppEnv>, attempt: () => Promise<T>): Promise<T> {
  try {
    return await attempt();
  } catch (error) {
    if (error instanceof ApiError && error.code === "unauthorized") await admitUnauthenticatedRequest(c);
    throw error;
  }
}

/** The operator's bearer token, compared in constant time; absent ADMIN_TOKEN, nobody is one. */
async function authenticateOperator(c: Context<AppEnv>) {
  const expected = c.get("config").ADMIN_TOKEN;
  const presented = bearerToken(c);
  if (!expected || !(await timingSafeEqualStrings(presented, expected))) rejectCredential();
  if (await withIpGuard(c.env, c.get("clientIp"), (guard) => guard.isBlocked())) throw ipBlocked();
}

/**
 * Enforces an endpoint's access policy (deny by default). Requests without a valid credential
 * are counted against their IP; authenticated ones against their user, in one Durable Object
 * round trip and no D1 read on a warm isolate.
 */
export function authenticate(policy: AccessPolicy): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    c.set("access", policy);
    switch (policy.auth) {
      case "public":
        if (!policy.unmetered) await admitUnauthenticatedRequest(c);
        return next();
      case "development":
        if (c.get("config").ENVIRONMENT !== "development") throw new ApiError("not_found");
        await admitUnauthenticatedRequest(c);
        return next();
      case "operator":
        await chargingFailures(c, () => authenticateOperator(c));
        return next();
      case "session":
      case "session_or_key": {
        const principal = await chargingFailures(c, async () => {
          const { principal, admit } = await verifyCredential(c, bearerToken(c));
          await admitAuthenticated(c, principal, admit);
          return principal;
        });
        await authorizeKeyScope(c, principal, policy);
        c.set("principal", principal);
        if (principal.kind === "api_key") return next();
        recordLastSeen(c, principal.sessionId);
        await next();
        await slideSession(c, principal);
        return;
      }
    }
  };
}
