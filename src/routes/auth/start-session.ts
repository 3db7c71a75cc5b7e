import type { Context } from "hono";
import { isTrustedOrigin } from "../../auth/csrf";
import { setSessionCookie } from "../../auth/session-cookie";
import { signingKeys } from "../../auth/signing-keys";
import { csrfTokenFor } from "../../crypto/csrf";
import { issueSessionToken } from "../../crypto/jwt";
import { newId } from "../../crypto/random";
import { database } from "../../db/client";
import type { User } from "../../db/schema";
import { insertSession, markSessionsRevoked } from "../../db/sessions";
import { publicUser } from "../../db/users";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { evictSessionsPastCap } from "../sessions/session-cap";

const MAX_USER_AGENT_CHARS = 256;

export type SessionDelivery = "bearer" | "cookie";

/** What proved the user: listed with the session (API.md "Sessions"). */
export type SignInMethod = "password" | "totp" | "backup_code" | "passkey" | `oauth:${string}`;

/**
 * A sign-in that asks for a cookie must come from a page of a trusted origin, checked before any
 * password is: otherwise a foreign site could sign a visitor into the attacker's account (login
 * CSRF, OWASP CSRF cheat sheet "Login CSRF"). A bearer sign-in sets nothing in a browser.
 */
export function requireTrustedOriginFor(c: Context<AppEnv>, delivery: SessionDelivery) {
  if (delivery === "cookie" && !isTrustedOrigin(c)) {
    throw new ApiError("csrf_failed", { detail: "A cookie session can only be started from this site's own pages." });
  }
}

/**
 * Hands a session's fresh token to the client the way it asked: in the body (bearer), or in the
 * httpOnly cookie with only the CSRF token in the body (script never sees the session token).
 */
export async function deliverSessionToken(
  c: Context<AppEnv>,
  delivery: SessionDelivery,
  token: string,
  sessionId: string,
  expiresAt: Date,
) {
  if (delivery === "bearer") return { token, tokenType: "Bearer" as const, expiresAt: expiresAt.toISOString() };
  setSessionCookie(c, token);
  return { expiresAt: expiresAt.toISOString(), csrfToken: await csrfTokenFor(sessionId, signingKeys(c)) };
}

/**
 * Opens a session for a user who just proved who they are, and answers with its first token;
 * past 100 live sessions, the least recently used ones end (session-cap.ts).
 */
export async function startSession(
  c: Context<AppEnv>,
  user: User,
  how: { delivery: SessionDelivery; signInMethod: SignInMethod },
) {
  const now = new Date();
  const sessionId = newId("ses");
  const { token, expiresAt } = await issueSessionToken(
    { userId: user.id, email: user.email, sessionId, sessionCreatedAt: now.getTime() },
    signingKeys(c),
    now.getTime(),
  );
  const db = database(c.env.DB);
  await insertSession(db, {
    id: sessionId,
    userId: user.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
    ip: c.get("clientIp"),
    userAgent: c.req.header("User-Agent")?.slice(0, MAX_USER_AGENT_CHARS) ?? null,
    kind: how.delivery,
    signInMethod: how.signInMethod,
  });
  try {
    await evictSessionsPastCap(c, user.id, sessionId);
  } catch (error) {
    // The sign-in fails; its session, whose token nobody received, must not linger or count.
    await markSessionsRevoked(db, user.id, [sessionId], new Date()).catch(() => {});
    throw error;
  }
  const delivered = await deliverSessionToken(c, how.delivery, token, sessionId, expiresAt);
  return { sessionId, response: { ...delivered, user: publicUser(user) } };
}
