import type { Context } from "hono";
import { database } from "../../db/client";
import { markSessionsRevoked } from "../../db/sessions";
import { withUserGuard } from "../../durable-objects/guard-client";
import type { AppEnv } from "../../env";

/**
 * Revokes sessions of one user. The Durable Object is told first: it is what the next request
 * checks, so if it cannot be reached the call fails (503) before D1 claims a revocation that
 * would not be enforced.
 */
export async function revokeSessions(c: Context<AppEnv>, userId: string, sessionIds: string[]) {
  if (sessionIds.length === 0) return;
  await withUserGuard(c.env, userId, (guard) => guard.revokeSessions(sessionIds));
  await markSessionsRevoked(database(c.env.DB), userId, sessionIds, new Date());
  const current = c.get("principal");
  if (current?.kind === "session" && sessionIds.includes(current.sessionId)) c.set("tokenRetired", true);
}
