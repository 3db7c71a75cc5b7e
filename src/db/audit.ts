import { and, desc, eq, getTableColumns, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
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
  | "session.evicted"
  | "profile.updated"
  | "email.verified"
  | "email.change_requested"
  | "email.changed"
  | "auth.locked"
  | "auth.unlocked"
  | "auth.new_ip_notice"
  | "auth.new_country_notice"
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
  | "team.invitations_listed"
  | "team.invitation_cancelled"
  | "team.member_joined"
  | "team.member_role_changed"
  | "team.member_removed"
  | "team.member_erased"
  | "access.denied"
  | "api_key.created"
  | "api_key.revoked"
  | "api_key.rolled"
  | "api_key.rejected"
  | "admin.user_updated"
  | "admin.credentials_revoked"
  | "admin.password_reset_forced"
  | "admin.ip_blocked"
  | "admin.security_summary_viewed"
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
  | "mfa.backup_code_used"
  | "auth.oauth_failed"
  | "identity.linked"
  | "identity.removed"
  | "passkey.registered"
  | "passkey.renamed"
  | "passkey.removed"
  | "passkey.counter_regressed";

export interface AuditContext {
  requestId: string;
  ip: string | null;
  /** Set for the operator's requests: their rows are marked `by: "operator"`, whatever the route wrote. */
  actor?: "operator";
}

export interface AuditEvent {
  type: AuditEventType;
  userId?: string | null;
  teamId?: string | null;
  metadata?: Record<string, unknown>;
}

/**
 * The insert of one audit row, not yet run: put it in the `db.batch` of the change it records,
 * so that the change and its audit row are committed together or not at all (ASVS V2.3.3).
 * With `onlyIf`, the row is written only if that condition holds when the batch runs (the same
 * condition as the change's own statements), so a change that did not happen is not recorded.
 */
export function auditEventInsert(db: Database, context: AuditContext, event: AuditEvent, onlyIf?: SQL) {
  const row = {
    id: newId("aud"),
    type: event.type,
    userId: event.userId ?? null,
    teamId: event.teamId ?? null,
    ip: context.ip,
    requestId: context.requestId,
    // The mark the views go by to hide the operator's address and request id (audit-view.ts).
    metadata: context.actor === "operator" ? { ...event.metadata, by: "operator" } : (event.metadata ?? {}),
    createdAt: new Date(),
    aggregateKey: null,
  } satisfies typeof auditLog.$inferInsert;
  if (!onlyIf) return db.insert(auditLog).values(row);
  // INSERT … SELECT: drizzle names every column in table order; each value is encoded by its
  // column (JSON, timestamp), in that same order.
  const values = Object.entries(getTableColumns(auditLog)).map(([key, column]) =>
    sql.param(row[key as keyof typeof row], column),
  );
  return db.insert(auditLog).select(sql`SELECT ${sql.join(values, sql`, `)} WHERE ${onlyIf}`);
}

/**
 * Appends one audit row, awaited before the response is sent. `metadata` holds facts only
 * (field names, ids, reasons): callers never pass a password, token, key or hash.
 */
export async function recordAuditEvent(db: Database, context: AuditContext, event: AuditEvent): Promise<void> {
  await auditEventInsert(db, context, event);
}

/** Repeated failures of one kind from one address are counted in one row per minute. */
export const FAILURE_AGGREGATION_MS = 60_000;

/**
 * Records a failure that anyone can repeat without a credential (a bad webhook signature, a
 * failed or refused login): one row per type, address, account (or none), metadata facts and
 * minute, whose `metadata.count` says how many there were. The first failure of the minute
 * inserts the row (`count: 1`, its request id and time); each later one adds 1 to it. The key's
 * unique index makes this one statement, INSERT … ON CONFLICT DO UPDATE, and D1 runs statements
 * one at a time, so concurrent failures from any number of isolates are all counted, in one row.
 * An address can thus write at most one row per minute and kind of fact: 1,440 a day instead of
 * one per request (24,000 a day at the unauthenticated limit).
 */
export async function recordRepeatedFailure(
  db: Database,
  context: AuditContext,
  event: AuditEvent & { metadata: Record<string, string | number | boolean> },
  now = new Date(),
): Promise<void> {
  const minute = Math.floor(now.getTime() / FAILURE_AGGREGATION_MS) * FAILURE_AGGREGATION_MS;
  const facts = Object.entries(event.metadata).sort(([a], [b]) => (a < b ? -1 : 1));
  const aggregateKey = JSON.stringify([
    event.type,
    minute,
    context.ip,
    event.userId ?? null,
    event.teamId ?? null,
    facts,
  ]);
  await db
    .insert(auditLog)
    .values({
      id: newId("aud"),
      type: event.type,
      userId: event.userId ?? null,
      teamId: event.teamId ?? null,
      ip: context.ip,
      requestId: context.requestId,
      metadata: { ...event.metadata, count: 1 },
      createdAt: now,
      aggregateKey,
    })
    .onConflictDoUpdate({
      target: auditLog.aggregateKey,
      set: {
        metadata: sql`json_set(${auditLog.metadata}, '$.count', json_extract(${auditLog.metadata}, '$.count') + 1)`,
      },
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

/** What the operator's search filters by; every filter is optional and they combine with AND. */
export interface AuditSearch {
  userId?: string | undefined;
  ip?: string | undefined;
  type?: string | undefined;
  /** Inclusive lower and exclusive upper bound of `createdAt`. */
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  after?: CursorPosition | undefined;
}

/**
 * One page of the operator's search over every user's audit rows, newest first. Each filter has
 * an index that leads with it and ends in created_at (user, ip, type, or none), so SQLite reads
 * the page in order from the index, whatever the table's size (the bench measures 1,000,000 rows).
 */
export async function searchAuditEvents(db: Database, search: AuditSearch) {
  return db
    .select()
    .from(auditLog)
    .where(
      and(
        search.userId ? eq(auditLog.userId, search.userId) : undefined,
        search.ip ? eq(auditLog.ip, search.ip) : undefined,
        search.type ? eq(auditLog.type, search.type) : undefined,
        search.from ? gte(auditLog.createdAt, search.from) : undefined,
        search.to ? lt(auditLog.createdAt, search.to) : undefined,
        afterCursor(auditLog, search.after),
      ),
    )
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(search.limit);
}

/** API.md "Limits": a key's rejections are audited at most once per key and reason per minute. */
export const KEY_REJECTION_AUDIT_INTERVAL_MS = 60_000;

/**
 * Records `event` unless a row of the same user, type and `sameMetadata` fields was written in the
 * last `withinMs`. The check and the insert are one statement, and D1 runs statements one at a
 * time, so concurrent calls from any number of isolates still write at most one row per interval.
 * The fields are matched with bound JSON paths (no SQL is built from strings). Returns whether a
 * row was written.
 */
export async function recordAuditEventAtMostEvery(
  db: Database,
  context: AuditContext,
  event: AuditEvent & { userId: string; metadata: Record<string, string> },
  { withinMs, sameMetadata, now = new Date() }: { withinMs: number; sameMetadata: string[]; now?: Date },
): Promise<boolean> {
  const since = now.getTime() - withinMs;
  const fieldsMatch = sameMetadata.map(
    (field) => sql`AND json_extract(${auditLog.metadata}, ${`$.${field}`}) = ${event.metadata[field] ?? null}`,
  );
  const notRecentlyRecorded = sql`NOT EXISTS (SELECT 1 FROM ${auditLog}
    WHERE ${auditLog.userId} = ${event.userId} AND ${auditLog.type} = ${event.type}
      AND ${auditLog.createdAt} > ${since} ${sql.join(fieldsMatch, sql` `)})`;
  const result = await auditEventInsert(db, context, event, notRecentlyRecorded);
  return result.meta.changes === 1;
}

/** `api_key.rejected`, at most once per key and reason per minute (API.md "Limits"). */
export function recordKeyRejection(
  db: Database,
  context: AuditContext,
  rejection: { userId: string; keyId: string; reason: string },
  now = new Date(),
): Promise<boolean> {
  return recordAuditEventAtMostEvery(
    db,
    context,
    {
      type: "api_key.rejected",
      userId: rejection.userId,
      metadata: { keyId: rejection.keyId, reason: rejection.reason },
    },
    { withinMs: KEY_REJECTION_AUDIT_INTERVAL_MS, sameMetadata: ["keyId", "reason"], now },
  );
}

/**
 * Deletes at most `limit` audit rows written before `before`, oldest first, in one statement (the
 * ids go through a subquery, not bound parameters: D1 binds at most 100 per statement). Returns
 * how many it deleted.
 */
export async function deleteAuditRowsCreatedBefore(db: Database, before: Date, limit: number): Promise<number> {
  const oldest = db.select({ id: auditLog.id }).from(auditLog).where(lt(auditLog.createdAt, before)).limit(limit);
  const result = await db.delete(auditLog).where(inArray(auditLog.id, oldest));
  return result.meta.changes;
}
