import { and, desc, eq } from "drizzle-orm";
import { newId } from "../crypto/random";
import type { Database } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { auditLog } from "./schema";

export type AuditEventType =
  | "user.registered"
  | "auth.login"
  | "auth.login_failed"
  | "auth.logout"
  | "auth.logout_all"
  | "auth.token_refreshed"
  | "session.revoked"
  | "profile.updated"
  | "auth.locked"
  | "auth.unlocked"
  | "auth.new_ip_notice"
  | "password.reset_requested"
  | "password.reset"
  | "password.changed"
  | "image.generated"
  | "image.deleted"
  | "image.restored"
  | "team.created"
  | "team.updated"
  | "team.deleted"
  | "team.invited"
  | "team.member_joined"
  | "team.member_role_changed"
  | "team.member_removed"
  | "access.denied"
  | "api_key.created"
  | "api_key.revoked"
  | "api_key.rolled"
  | "api_key.rejected"
  | "admin.user_updated"
  | "admin.credentials_revoked"
  | "admin.ip_blocked"
  | "admin.ip_unblocked"
  | "webhook.signature_failed"
  | "license.purchased"
  | "payment.succeeded"
  | "payment.failed"
  | "subscription.updated"
  | "account.exported"
  | "account.erased"
  | "mfa.enabled"
  | "mfa.disabled"
  | "mfa.challenge_failed"
  | "mfa.backup_code_used";

export interface AuditContext {
  requestId: string;
  ip: string | null;
}

/**
 * Appends one audit row, awaited before the response is sent. `metadata` holds facts only
 * (field names, ids, reasons): callers never pass a password, token, key or hash.
 */
export async function recordAuditEvent(
  db: Database,
  context: AuditContext,
  event: { type: AuditEventType; userId?: string | null; teamId?: string | null; metadata?: Record<string, unknown> },
): Promise<void> {
  await db.insert(auditLog).values({
    id: newId("aud"),
    type: event.type,
    userId: event.userId ?? null,
    teamId: event.teamId ?? null,
    ip: context.ip,
    requestId: context.requestId,
    metadata: event.metadata ?? {},
    createdAt: new Date(),
  });
}

/** One page of audit rows of a user or of a team, newest first, optionally of one type. */
export async function listAuditEvents(
  db: Database,
  filter: {
    owner: { userId: string } | { teamId: string };
    type?: string | undefined;
    limit: number;
    after?: CursorPosition | undefined;
  },
) {
  const ownerCondition =
    "userId" in filter.owner ? eq(auditLog.userId, filter.owner.userId) : eq(auditLog.teamId, filter.owner.teamId);
  return db
    .select()
    .from(auditLog)
    .where(
      and(
        ownerCondition,
        filter.type ? eq(auditLog.type, filter.type) : undefined,
        afterCursor(auditLog, filter.after),
      ),
    )
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(filter.limit);
}
