import { and, desc, eq, gt, inArray, isNotNull, isNull, lt, lte, ne, or, type SQL, sql } from "drizzle-orm";
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

/**
 * The update that marks revoked, in ONE statement whatever their number, every session of the
 * user created at or before the guard's cut-off (but the kept one), not yet run: the D1 side of
 * `UserGuard.revokeIssuedBeforeNow`. With `onlyIf`, it applies only if that condition holds when
 * the batch runs.
 */
export function sessionsCutOffUpdate(
  db: Database,
  userId: string,
  cut: { cutOff: number; keptSessionId: string | null; now: Date },
  onlyIf?: SQL,
) {
  return db
    .update(sessions)
    .set({ revokedAt: cut.now })
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        lte(sessions.createdAt, new Date(cut.cutOff)),
        cut.keptSessionId === null ? undefined : ne(sessions.id, cut.keptSessionId),
        onlyIf,
      ),
    );
}

/** Marks a few sessions revoked (at most 100 ids: D1 binds at most 100 parameters), with `audit` in one batch. */
export async function markSessionsRevoked(
  db: Database,
  userId: string,
  sessionIds: string[],
  now: Date,
  audit?: ReturnType<typeof auditEventInsert>,
) {
  if (sessionIds.length === 0) return;
  const update = db
    .update(sessions)
    .set({ revokedAt: now })
    .where(and(eq(sessions.userId, userId), inArray(sessions.id, sessionIds), isNull(sessions.revokedAt)));
  await db.batch([update, ...(audit ? [audit] : [])]);
}

/**
 * The user's live sessions beyond the `cap` most recently used ones, `keep` (the session just
 * started) counted among those kept whatever its rank; least recently used last, at most
 * `limit` of them.
 */
export async function sessionsBeyondCap(
  db: Database,
  userId: string,
  filter: { keep: string; cap: number; limit: number; now: Date },
): Promise<string[]> {
  const rows = await db
    .select({ id: sessions.id })
    .from(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        isNull(sessions.revokedAt),
        gt(sessions.expiresAt, filter.now),
        ne(sessions.id, filter.keep),
      ),
    )
    .orderBy(desc(sessions.lastSeenAt), desc(sessions.id))
    .limit(filter.limit)
    .offset(filter.cap - 1);
  return rows.map((row) => row.id);
}

/**
 * Ends evicted sessions in one batch: per session, its `session.evicted` audit row (written only
 * while the session is still live, so that of two sign-ins evicting the same one only one records
 * it) and then its revocation.
 */
export async function markSessionsEvicted(
  db: Database,
  userId: string,
  sessionIds: string[],
  now: Date,
  auditRowOf: (sessionId: string, onlyIf: SQL) => ReturnType<typeof auditEventInsert>,
) {
  const statements = sessionIds.flatMap((sessionId) => {
    const stillLive = and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt));
    return [
      auditRowOf(sessionId, sql`EXISTS (SELECT 1 FROM ${sessions} WHERE ${stillLive})`),
      db.update(sessions).set({ revokedAt: now }).where(stillLive),
    ];
  });
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
