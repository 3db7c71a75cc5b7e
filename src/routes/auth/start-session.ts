import type { Context } from "hono";
import { signingKeys } from "../../auth/signing-keys";
import { issueSessionToken } from "../../crypto/jwt";
import { newId } from "../../crypto/random";
import { database } from "../../db/client";
import type { User } from "../../db/schema";
import { insertSession } from "../../db/sessions";
import { publicUser } from "../../db/users";
import type { AppEnv } from "../../env";

const MAX_USER_AGENT_CHARS = 256;

/** Opens a session for a user who just proved who they are, and answers with its first token. */
export async function startSession(c: Context<AppEnv>, user: User) {
  const now = new Date();
  const sessionId = newId("ses");
  const { token, expiresAt } = await issueSessionToken(
    { userId: user.id, email: user.email, sessionId },
    signingKeys(c),
    now.getTime(),
  );
  await insertSession(database(c.env.DB), {
    id: sessionId,
    userId: user.id,
    createdAt: now,
    lastSeenAt: now,
    expiresAt,
    ip: c.get("clientIp"),
    userAgent: c.req.header("User-Agent")?.slice(0, MAX_USER_AGENT_CHARS) ?? null,
  });
  return {
    sessionId,
    response: { token, tokenType: "Bearer" as const, expiresAt: expiresAt.toISOString(), user: publicUser(user) },
  };
}
