import { and, desc, eq, getTableColumns, gt, inArray, isNull, type SQL, sql } from "drizzle-orm";
import { type AuditContext, type AuditEvent, auditEventInsert } from "./audit";
import type { Database } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { invitationSends, teamInvitations } from "./schema";

/** The rolling caps on invitations mailed (API.md "Teams"): per team, and per address across all teams. */
export const INVITATION_WINDOW_MS = 24 * 60 * 60 * 1000;
export const INVITATIONS_PER_TEAM = 20;
export const INVITATIONS_PER_ADDRESS = 3;

const pending = and(isNull(teamInvitations.acceptedAt), isNull(teamInvitations.voidedAt));

const sendsInWindow = (
  column: typeof invitationSends.teamId | typeof invitationSends.emailHash,
  value: string,
  since: Date,
) =>
  sql`(SELECT count(*) FROM ${invitationSends} WHERE ${column} = ${value} AND ${invitationSends.createdAt} > ${since.getTime()})`;

/** The row's values in table column order, each encoded by its column (timestamps), for INSERT … SELECT. */
function rowValues(row: typeof teamInvitations.$inferInsert) {
  const values: Record<string, unknown> = { acceptedAt: null, voidedAt: null, invitedBy: null, ...row };
  return Object.entries(getTableColumns(teamInvitations)).map(([key, column]) => sql.param(values[key], column));
}

export type InvitationOutcome =
  | { created: typeof teamInvitations.$inferSelect }
  | { refused: { retryAfterMs: number } };

/**
 * Replaces the pending invitation of this team and address (if any) with a new one, within the
 * caps, in one batch (one D1 transaction, which SQLite runs alone): the caps are counted and the
 * rows written in the same transaction, so two simultaneous invitations can never both pass the
 * last free slot, and two for the same address leave exactly one live link (the later one; the
 * partial unique index refuses a second pending row whatever the code does). Every statement
 * carries the same cap condition, so a refused invitation voids nothing and records nothing.
 */
export async function replaceInvitationWithinCaps(
  db: Database,
  invitation: typeof teamInvitations.$inferInsert & { createdAt: Date },
  emailHash: string,
  audit: { context: AuditContext; event: AuditEvent },
): Promise<InvitationOutcome> {
  const since = new Date(invitation.createdAt.getTime() - INVITATION_WINDOW_MS);
  const withinCaps = sql`${sendsInWindow(invitationSends.teamId, invitation.teamId, since)} < ${INVITATIONS_PER_TEAM}
    AND ${sendsInWindow(invitationSends.emailHash, emailHash, since)} < ${INVITATIONS_PER_ADDRESS}`;
  const inserted = sql`EXISTS (SELECT 1 FROM ${teamInvitations} WHERE ${teamInvitations.id} = ${invitation.id})`;
  const [, created] = await db.batch([
    db
      .update(teamInvitations)
      .set({ voidedAt: invitation.createdAt })
      .where(
        and(
          eq(teamInvitations.teamId, invitation.teamId),
          eq(teamInvitations.email, invitation.email),
          pending,
          withinCaps,
        ),
      ),
    db
      .insert(teamInvitations)
      .select(sql`SELECT ${sql.join(rowValues(invitation), sql`, `)} WHERE ${withinCaps}`)
      .returning(),
    // Counted from the new row itself: written exactly when the invitation was.
    db
      .insert(invitationSends)
      .select(
        sql`SELECT ${teamInvitations.id}, ${teamInvitations.teamId}, ${emailHash}, ${teamInvitations.createdAt} FROM ${teamInvitations} WHERE ${teamInvitations.id} = ${invitation.id}`,
      ),
    auditEventInsert(db, audit.context, audit.event, inserted),
  ]);
  const row = created[0];
  if (row) return { created: row };
  return { refused: { retryAfterMs: await retryAfterMs(db, invitation.teamId, emailHash, since) } };
}

/** How long until every full window has a free slot again: its oldest send ages out. */
async function retryAfterMs(db: Database, teamId: string, emailHash: string, since: Date): Promise<number> {
  const windowOf = (column: SQL, value: string) =>
    db
      .select({ count: sql<number>`count(*)`, oldest: sql<number>`min(${invitationSends.createdAt})` })
      .from(invitationSends)
      .where(and(sql`${column} = ${value}`, gt(invitationSends.createdAt, since)));
  const [[team], [address]] = await Promise.all([
    windowOf(sql`${invitationSends.teamId}`, teamId),
    windowOf(sql`${invitationSends.emailHash}`, emailHash),
  ]);
  const waits = [
    team && team.count >= INVITATIONS_PER_TEAM ? Number(team.oldest) : null,
    address && address.count >= INVITATIONS_PER_ADDRESS ? Number(address.oldest) : null,
  ]
    .filter((oldest): oldest is number => oldest !== null)
    .map((oldest) => oldest + INVITATION_WINDOW_MS - Date.now());
  // A slot freed between the refusal and this read: the client may simply try again.
  return Math.max(0, ...waits);
}

/** One page of the team's pending invitations (not accepted, voided or expired), newest first. */
export async function listPendingInvitations(
  db: Database,
  teamId: string,
  now: Date,
  page: { limit: number; after?: CursorPosition | undefined },
) {
  return db
    .select({
      id: teamInvitations.id,
      teamId: teamInvitations.teamId,
      email: teamInvitations.email,
      role: teamInvitations.role,
      createdAt: teamInvitations.createdAt,
      expiresAt: teamInvitations.expiresAt,
    })
    .from(teamInvitations)
    .where(
      and(
        eq(teamInvitations.teamId, teamId),
        pending,
        gt(teamInvitations.expiresAt, now),
        afterCursor({ createdAt: teamInvitations.createdAt, id: teamInvitations.id }, page.after),
      ),
    )
    .orderBy(desc(teamInvitations.createdAt), desc(teamInvitations.id))
    .limit(page.limit);
}

/**
 * Cancels one pending invitation of this team, with its audit row, in one batch. Returns false
 * when there is none by that id in this team (another team's id included): the caller answers 404.
 */
export async function cancelInvitation(
  db: Database,
  teamId: string,
  invitationId: string,
  now: Date,
  audit: { context: AuditContext; event: AuditEvent },
): Promise<boolean> {
  const [voided] = await db.batch([
    db
      .update(teamInvitations)
      .set({ voidedAt: now })
      .where(and(eq(teamInvitations.id, invitationId), eq(teamInvitations.teamId, teamId), pending))
      .returning({ id: teamInvitations.id }),
    auditEventInsert(
      db,
      audit.context,
      audit.event,
      sql`EXISTS (SELECT 1 FROM ${teamInvitations} WHERE ${teamInvitations.id} = ${invitationId} AND ${teamInvitations.teamId} = ${teamId} AND ${teamInvitations.voidedAt} = ${now.getTime()})`,
    ),
  ]);
  return voided.length > 0;
}

/** Ids of send records that have left every window (retention). */
export async function listInvitationSendIdsBefore(db: Database, before: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: invitationSends.invitationId })
    .from(invitationSends)
    .where(sql`${invitationSends.createdAt} < ${before.getTime()}`)
    .limit(limit);
  return rows.map((row) => row.id);
}

export async function deleteInvitationSends(db: Database, ids: string[]): Promise<void> {
  await db.delete(invitationSends).where(inArray(invitationSends.invitationId, ids));
}
