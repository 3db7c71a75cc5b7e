import type { Context, MiddlewareHandler } from "hono";
import { API_KEY_PREFIX } from "../crypto/api-key";
import { issueSessionToken, verifySessionToken } from "../crypto/jwt";
import { database } from "../db/client";
import { extendSession, touchSession } from "../db/sessions";
import { withUserGuard } from "../durable-objects/guard-client";
import type { AppEnv, Principal, SessionPrincipal } from "../env";
import { ApiError } from "../errors";
import type { AccessPolicy } from "../routes/access";
import { authenticateApiKey, rejectKey } from "./authenticate-api-key";

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

async function authenticateSession(c: Context<AppEnv>, token: string): Promise<SessionPrincipal> {
  const claims = await verifySessionToken(token, signingKeys(c), Math.floor(Date.now() / 1000));
  if (!claims) rejectCredential();
  const admission = await withUserGuard(c.env, claims.userId, (guard) =>
    guard.admit({ credential: { kind: "session", sessionId: claims.sid, tokenId: claims.jti } }),
  );
  if (admission.outcome !== "admitted") rejectCredential();
  return {
    kind: "session",
    userId: claims.userId,
    email: claims.email,
    sessionId: claims.sid,
    tokenId: claims.jti,
    issuedAt: claims.iat,
    expiresAt: claims.exp,
  };
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

/**
 * Enforces an endpoint's access policy. One authenticated request costs one call to the
 * user's Durable Object (revocation now, rate limits later) and no D1 read.
 */
export function authenticate(policy: AccessPolicy): MiddlewareHandler<AppEnv> {
  return async function authenticate(c, next) {
    if (policy.auth === "public") return next();
    if (policy.auth === "development") {
      if (c.get("config").ENVIRONMENT !== "development") throw new ApiError("not_found");
      return next();
    }
    const token = bearerToken(c);
    c.set("access", policy);
    // API keys are told apart from JWTs by their prefix; a JWT never starts with it.
    if (token.startsWith(API_KEY_PREFIX)) {
      const principal = await authenticateApiKey(c, token);
      if (policy.auth === "session") {
        await rejectKey(c, { id: principal.keyId, userId: principal.userId }, "scope");
      }
      if (policy.auth === "session_or_key" && !principal.scopes.includes(policy.scope)) {
        await rejectKey(c, { id: principal.keyId, userId: principal.userId }, "scope");
      }
      c.set("principal", principal);
      return next();
    }
    const principal = await authenticateSession(c, token);
    c.set("principal", principal);
    recordLastSeen(c, principal.sessionId);
    await next();
    await slideSession(c, principal);
  };
}
