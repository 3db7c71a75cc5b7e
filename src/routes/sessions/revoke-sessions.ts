import type { Context } from "hono";
import { auditContext } from "../../auth/audit-context";
import { type AuditEvent, auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { markSessionsRevoked } from "../../db/sessions";
import type { CutOffRequest, CutOffResult } from "../../durable-objects/user-guard";
import type { AppEnv } from "../../env";
import { withUserGuard } from "../../services/guard-client";

/**
 * Tells the user's guard that these sessions are revoked. This always comes before D1 records
 * anything: the guard is what the next request checks, so if it cannot be reached the call fails
 * (503) before D1 claims a revocation that would not be enforced; and if D1 then fails, the
 * sessions stay revoked, which errs on the safe side (the rest of the change can be retried).
 */
export async function revokeSessionsInGuard(c: Context<AppEnv>, userId: string, sessionIds: string[]) {
  if (sessionIds.length === 0) return;
  await withUserGuard(c.env, userId, (guard) => guard.revokeSessions(sessionIds));
  const current = c.get("principal");
  if (current?.kind === "session" && sessionIds.includes(current.sessionId)) c.set("tokenRetired", true);
}

/**
 * Revokes sessions of one user: the guard first, then D1, where the sessions are marked revoked
 * and `audit` is written in one batch (both or neither).
 */
export async function revokeSessions(c: Context<AppEnv>, userId: string, sessionIds: string[], audit: AuditEvent) {
  if (sessionIds.length === 0) return;
  await revokeSessionsInGuard(c, userId, sessionIds);
  const db = database(c.env.DB);
  await markSessionsRevoked(db, userId, sessionIds, new Date(), auditEventInsert(db, auditContext(c), audit));
}

/**
 * "Everything issued up to now is void" in the user's guard, for sessions and/or keys: ONE call
 * whatever their number (API.md "Sessions"), so nobody can jam it by piling up sessions. The
 * guard first, for the reasons above; the caller then marks D1's rows revoked in bulk with the
 * returned cut-off (`sessionsCutOffUpdate`, `apiKeysCutOffUpdate`).
 */
export async function revokeAllIssuedInGuard(
  c: Context<AppEnv>,
  userId: string,
  request: CutOffRequest,
): Promise<CutOffResult> {
  const result = await withUserGuard(c.env, userId, (guard) => guard.revokeIssuedBeforeNow(request));
  const current = c.get("principal");
  if (
    request.sessions &&
    current?.kind === "session" &&
    current.userId === userId &&
    current.sessionId !== result.keptSessionId
  ) {
    c.set("tokenRetired", true);
  }
  return result;
}
