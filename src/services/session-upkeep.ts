import type { Context } from "hono";
import type { SessionPrincipal } from "../auth/principal";
import { setSessionCookie } from "../auth/session-cookie";
import { signingKeys } from "../auth/signing-keys";
import { issueSessionToken } from "../crypto/jwt";
import { database } from "../db/client";
import { extendSession, touchSession } from "../db/sessions";
import type { AppEnv } from "../env";

const SLIDING_REFRESH_AFTER_SECONDS = 24 * 60 * 60;
const LAST_SEEN_INTERVAL_MS = 60_000;

// Isolate-local memory of when each session's last-seen time was written; only a throttle for
// D1 writes, never consulted for a security decision.
const lastSeenWrites = new Map<string, number>();

/** Writes a session's last-seen time at most once a minute per isolate (and per session in D1). */
export function recordLastSeen(c: Context<AppEnv>, sessionId: string) {
  const now = Date.now();
  if (now - (lastSeenWrites.get(sessionId) ?? 0) < LAST_SEEN_INTERVAL_MS) return;
  if (lastSeenWrites.size > 10_000) lastSeenWrites.clear();
  lastSeenWrites.set(sessionId, now);
  c.executionCtx.waitUntil(touchSession(database(c.env.DB), sessionId, new Date(now), LAST_SEEN_INTERVAL_MS));
}

/** API.md: a valid request whose token is older than 24 h gets a fresh one for the same session. */
export async function slideSession(c: Context<AppEnv>, principal: SessionPrincipal) {
  const now = Math.floor(Date.now() / 1000);
  if (now - principal.issuedAt < SLIDING_REFRESH_AFTER_SECONDS) return;
  if (c.get("tokenRetired") || c.res.status >= 400) return;
  const { token, expiresAt } = await issueSessionToken(principal, signingKeys(c));
  // A browser's session stays in its httpOnly cookie; script never sees the token.
  if (principal.via === "cookie") setSessionCookie(c, token);
  else c.res.headers.set("X-Refreshed-Token", token);
  c.executionCtx.waitUntil(extendSession(database(c.env.DB), principal.sessionId, expiresAt));
}
