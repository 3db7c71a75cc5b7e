import type { Context } from "hono";
import { signingKeys } from "../../auth/signing-keys";
import { issueSessionToken } from "../../crypto/jwt";
import { newId } from "../../crypto/random";
import { database } from "../../db/client";
import type { User } from "../../db/schema";
import { insertSession, markSessionsRevoked } from "../../db/sessions";
import { publicUser } from "../../db/users";
import type { AppEnv } from "../../env";
import { evictSessionsPastCap } from "../sessions/session-cap";

const MAX_USER_AGENT_CHARS = 256;

/**
 * Opens a session for a user who just proved who they are, and answers with its first token;
 * past 100 live sessions, the least recently used ones end (session-cap.ts).
 */
export async function startSession(c: Context<AppEnv>, user: User) {
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
  });
  try {
    await evictSessionsPastCap(c, user.id, sessionId);
  } catch (error) {
    // The sign-in fails; its session, whose token nobody received, must not linger or count.
    await markSessionsRevoked(db, user.id, [sessionId], new Date()).catch(() => {});
    throw error;
  }
  return {
    sessionId,
    response: { token, tokenType: "Bearer" as const, expiresAt: expiresAt.toISOString(), user: publicUser(user) },
  };
}
