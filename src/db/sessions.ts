import { and, desc, eq, gt, inArray, isNotNull, isNull, lt, or, type SQL } from "drizzle-orm";
import type { auditEventInsert } from "./audit";
import type { Database } from "./client";
import { type Session, sessions } from "./schema";

export async function insertSession(db: Database, session: typeof sessions.$inferInsert): Promise<void> {
  await db.insert(sessions).values(session);
}

/** A live session of this user (tenant filter included), or undefined. */
export async function findLiveSession(
  db: Database,
  userId: string,
  sessionId: string,
  now: Date,
): Promise<Session | undefined> {
  return db.query.sessions.findFirst({
    where: and(
      eq(sessions.id, sessionId),
      eq(sessions.userId, userId),
      isNull(sessions.revokedAt),
      gt(sessions.expiresAt, now),
    ),
  });
}

/**
 * One page of the user's live sessions, newest first. The cursor is the id of the last row of
 * the previous page; ordering by (createdAt, id) keeps pages stable when two share a time.
 */
export async function listLiveSessions(
  db: Database,
  userId: string,
  now: Date,
  page: { limit: number; after?: Session | undefined },
): Promise<Session[]> {
  const after = page.after;
  return db
    .select()
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, now),
        after
          ? or(
              lt(sessions.createdAt, after.createdAt),
              and(eq(sessions.createdAt, after.createdAt), lt(sessions.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(desc(sessions.createdAt), desc(sessions.id))
    .limit(page.limit);
}

export async function listLiveSessionIds(db: Database, userId: string, now: Date): Promise<string[]> {
  const rows = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), gt(sessions.expiresAt, now)));
  return rows.map((row) => row.id);
}

// D1 binds at most 100 parameters per statement.
const IDS_PER_STATEMENT = 90;

/**
 * The updates that mark sessions revoked, not yet run (for the `db.batch` of a larger change);
 * with `onlyIf`, they apply only if that condition holds when the batch runs.
 */
export function sessionsRevokedUpdates(db: Database, userId: string, sessionIds: string[], now: Date, onlyIf?: SQL) {
  const updates = [];
  for (let start = 0; start < sessionIds.length; start += IDS_PER_STATEMENT) {
    const chunk = sessionIds.slice(start, start + IDS_PER_STATEMENT);
    updates.push(
      db
        .update(sessions)
        .set({ revokedAt: now })
        .where(and(eq(sessions.userId, userId), inArray(sessions.id, chunk), isNull(sessions.revokedAt), onlyIf)),
    );
  }
  return updates;
}

/** Marks sessions revoked, all chunks in one batch. */
export async function markSessionsRevoked(
  db: Database,
  userId: string,
  sessionIds: string[],
  now: Date,
  audit?: ReturnType<typeof auditEventInsert>,
) {
  const statements = [...sessionsRevokedUpdates(db, userId, sessionIds, now), ...(audit ? [audit] : [])];
  const [first, ...rest] = statements;
  if (first) await db.batch([first, ...rest]);
}

export async function extendSession(db: Database, sessionId: string, expiresAt: Date): Promise<void> {
  await db.update(sessions).set({ expiresAt }).where(eq(sessions.id, sessionId));
}

/** Conditional, so that concurrent isolates write last-seen at most once a minute between them. */
export async function touchSession(db: Database, sessionId: string, now: Date, minIntervalMs: number): Promise<void> {
  await db
    .update(sessions)
    .set({ lastSeenAt: now })
    .where(and(eq(sessions.id, sessionId), lt(sessions.lastSeenAt, new Date(now.getTime() - minIntervalMs))));
}

/** Whether the user has had a session from this IP since `since` (new-sign-in notices). */
export async function hasSessionFromIpSince(db: Database, userId: string, ip: string, since: Date): Promise<boolean> {
  const row = await db.query.sessions.findFirst({
    columns: { id: true },
    where: and(eq(sessions.userId, userId), eq(sessions.ip, ip), gt(sessions.createdAt, since)),
  });
  return row !== undefined;
}

/**
 * Ids of sessions no request can use any more: expired before `now`, or revoked before
 * `revokedBefore`; at most `limit` (retention).
 */
export async function listSessionIdsToForget(
  db: Database,
  filter: { now: Date; revokedBefore: Date },
  limit: number,
): Promise<string[]> {
  const rows = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      or(
        lt(sessions.expiresAt, filter.now),
        and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, filter.revokedBefore)),
      ),
    )
    .limit(limit);
  return rows.map((row) => row.id);
}

export async function deleteSessions(db: Database, ids: string[]): Promise<void> {
  await db.delete(sessions).where(inArray(sessions.id, ids));
}
