import { and, desc, eq, inArray, isNull, lt, sql } from "drizzle-orm";
import type { TeamRole } from "../domain/permissions";
import type { auditEventInsert } from "./audit";
import type { Database } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { type Team, teamInvitations, teamMembers, teams, users } from "./schema";

/** Creates the team, its owner's membership and the audit row, in one batch: all or nothing. */
export async function createTeamWithOwner(
  db: Database,
  team: typeof teams.$inferInsert,
  ownerId: string,
  auditRow: ReturnType<typeof auditEventInsert>,
) {
  await db.batch([
    db.insert(teams).values(team),
    db.insert(teamMembers).values({ teamId: team.id, userId: ownerId, role: "owner", createdAt: team.createdAt }),
    auditRow,
  ]);
}

/** The caller's role in a team, or undefined when they are not a member (the tenant check). */
export async function findMemberRole(db: Database, teamId: string, userId: string): Promise<TeamRole | undefined> {
  const row = await db.query.teamMembers.findFirst({
    columns: { role: true },
    where: and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId)),
  });
  return row?.role;
}

export async function findTeam(db: Database, teamId: string): Promise<Team | undefined> {
  return db.query.teams.findFirst({ where: eq(teams.id, teamId) });
}

export async function listTeamsOfUser(db: Database, userId: string, page: { limit: number; after?: CursorPosition }) {
  return db
    .select({ team: teams, role: teamMembers.role })
    .from(teamMembers)
    .innerJoin(teams, eq(teams.id, teamMembers.teamId))
    .where(and(eq(teamMembers.userId, userId), afterCursor({ createdAt: teams.createdAt, id: teams.id }, page.after)))
    .orderBy(desc(teams.createdAt), desc(teams.id))
    .limit(page.limit);
}

/** Changes the team and writes the audit row, in one batch: both or neither. */
export async function updateTeam(
  db: Database,
  teamId: string,
  changes: Partial<Pick<Team, "name" | "description">>,
  auditRow: ReturnType<typeof auditEventInsert>,
) {
  const [rows] = await db.batch([
    db
      .update(teams)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(teams.id, teamId))
      .returning(),
    auditRow,
  ]);
  return rows[0];
}

/**
 * Deletes the team (foreign keys cascade its members, invitations, images with their comments,
 * and collections) and writes its audit row, in one batch: both or neither.
 */
export async function deleteTeam(db: Database, teamId: string, auditRow: ReturnType<typeof auditEventInsert>) {
  await db.batch([db.delete(teams).where(eq(teams.id, teamId)), auditRow]);
}

export async function listMembers(db: Database, teamId: string) {
  return db
    .select({
      userId: teamMembers.userId,
      role: teamMembers.role,
      joinedAt: teamMembers.createdAt,
      email: users.email,
      name: users.name,
    })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .where(eq(teamMembers.teamId, teamId))
    .orderBy(teamMembers.createdAt, teamMembers.userId);
}

/**
 * A page of the team's members, newest first, keyed for the cursor by (joined, user id): the
 * membership row's own creation time and the member's id.
 */
export async function listMembersPage(
  db: Database,
  teamId: string,
  page: { limit: number; after?: CursorPosition | undefined },
) {
  const rows = await db
    .select({
      userId: teamMembers.userId,
      role: teamMembers.role,
      joinedAt: teamMembers.createdAt,
      email: users.email,
      name: users.name,
    })
    .from(teamMembers)
    .innerJoin(users, eq(users.id, teamMembers.userId))
    .where(
      and(
        eq(teamMembers.teamId, teamId),
        afterCursor({ createdAt: teamMembers.createdAt, id: teamMembers.userId }, page.after),
      ),
    )
    .orderBy(desc(teamMembers.createdAt), desc(teamMembers.userId))
    .limit(page.limit);
  return rows.map((row) => ({ ...row, createdAt: row.joinedAt, id: row.userId }));
}

// The last-owner rule is part of the statement itself, so two owners demoting or removing each
// other at the same moment cannot leave a team without one (SQLite runs each statement alone).
const keepsAnOwner = (teamId: string) =>
  sql`(${teamMembers.role} <> 'owner' OR (SELECT count(*) FROM ${teamMembers} WHERE ${teamMembers.teamId} = ${teamId} AND ${teamMembers.role} = 'owner') > 1)`;

export type MembershipChange = "changed" | "not_found" | "last_owner";

export async function changeMemberRole(
  db: Database,
  teamId: string,
  userId: string,
  role: TeamRole,
): Promise<MembershipChange> {
  const target = and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId));
  const rows = await db
    .update(teamMembers)
    .set({ role })
    .where(and(target, role === "owner" ? undefined : keepsAnOwner(teamId)))
    .returning({ userId: teamMembers.userId });
  if (rows.length > 0) return "changed";
  return (await db.query.teamMembers.findFirst({ where: target })) ? "last_owner" : "not_found";
}

/**
 * Removes the member and, in the same batch, voids the pending invitations of this team to
 * their address, so no older link brings them back. The voiding runs only if the removal did
 * (the last owner stays, and so do invitations then).
 */
export async function removeMember(db: Database, teamId: string, userId: string): Promise<MembershipChange> {
  const target = and(eq(teamMembers.teamId, teamId), eq(teamMembers.userId, userId));
  const [rows] = await db.batch([
    db
      .delete(teamMembers)
      .where(and(target, keepsAnOwner(teamId)))
      .returning({ userId: teamMembers.userId }),
    db
      .update(teamInvitations)
      .set({ voidedAt: new Date() })
      .where(
        and(
          eq(teamInvitations.teamId, teamId),
          sql`${teamInvitations.email} = (SELECT ${users.email} FROM ${users} WHERE ${users.id} = ${userId})`,
          isNull(teamInvitations.acceptedAt),
          isNull(teamInvitations.voidedAt),
          sql`NOT EXISTS (SELECT 1 FROM ${teamMembers} WHERE ${target})`,
        ),
      ),
  ]);
  if (rows.length > 0) return "changed";
  return (await db.query.teamMembers.findFirst({ where: target })) ? "last_owner" : "not_found";
}

/**
 * Accepts a live invitation for this email and makes the user a member, in one batch (one
 * transaction): the membership is inserted from the still-live invitation (not accepted, voided
 * or expired), then the invitation is used up, so both happen or neither does. The email condition is in both statements:
 * another account's attempt neither succeeds nor uses the invitation up. Returns the team and
 * role, or null.
 */
export async function acceptInvitation(
  db: Database,
  tokenHash: string,
  user: { id: string; email: string },
  now: Date,
) {
  const live = and(
    eq(teamInvitations.tokenHash, tokenHash),
    eq(teamInvitations.email, user.email),
    isNull(teamInvitations.acceptedAt),
    isNull(teamInvitations.voidedAt),
    sql`${teamInvitations.expiresAt} > ${now.getTime()}`,
  );
  const [, accepted] = await db.batch([
    // An existing member keeps their role: an invitation never demotes anyone.
    db
      .insert(teamMembers)
      .select((qb) =>
        qb
          .select({
            teamId: teamInvitations.teamId,
            userId: sql<string>`${user.id}`.as("user_id"),
            role: teamInvitations.role,
            createdAt: sql<Date>`${now.getTime()}`.as("created_at"),
          })
          .from(teamInvitations)
          .where(live),
      )
      .onConflictDoNothing(),
    db
      .update(teamInvitations)
      .set({ acceptedAt: now })
      .where(live)
      .returning({ teamId: teamInvitations.teamId, role: teamInvitations.role }),
    // Every other pending invitation of that team for that address dies with this acceptance
    // (the one-pending index already allows none; this holds even for rows from before it).
    db
      .update(teamInvitations)
      .set({ voidedAt: now })
      .where(
        and(
          eq(teamInvitations.email, user.email),
          isNull(teamInvitations.acceptedAt),
          isNull(teamInvitations.voidedAt),
          sql`${teamInvitations.teamId} IN (SELECT ${teamInvitations.teamId} FROM ${teamInvitations} WHERE ${teamInvitations.tokenHash} = ${tokenHash} AND ${teamInvitations.acceptedAt} = ${now.getTime()})`,
        ),
      ),
  ]);
  return accepted[0] ?? null;
}

/** Ids of invitations that expired before `now`, at most `limit` (retention). */
export async function listInvitationIdsExpiredBefore(db: Database, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: teamInvitations.id })
    .from(teamInvitations)
    .where(lt(teamInvitations.expiresAt, now))
    .limit(limit);
  return rows.map((row) => row.id);
}

export async function deleteInvitations(db: Database, ids: string[]): Promise<void> {
  await db.delete(teamInvitations).where(inArray(teamInvitations.id, ids));
}
