import { eq, inArray, sql } from "drizzle-orm";
import { type AuditContext, auditEventInsert } from "./audit";
import type { Database } from "./client";
import {
  apiKeys,
  auditLog,
  collectionImages,
  collections,
  comments,
  emailOutbox,
  emailVerificationTokens,
  images,
  licenses,
  mfaBackupCodes,
  passwordResetTokens,
  sessions,
  teamInvitations,
  teamMembers,
  teams,
  userMfa,
  users,
} from "./schema";

/** Every row held about one user, table by table (GDPR Art. 15 and 20). */
export async function collectUserData(db: Database, user: { id: string; email: string }) {
  const [
    sessionRows,
    keyRows,
    imageRows,
    collectionRows,
    commentRows,
    membershipRows,
    invitationRows,
    licenseRows,
    auditRows,
    outboxRows,
    resetRows,
    mfaRows,
    backupCodeRows,
    verificationRows,
  ] = await Promise.all([
    db.select().from(sessions).where(eq(sessions.userId, user.id)),
    db.select().from(apiKeys).where(eq(apiKeys.userId, user.id)),
    db.select().from(images).where(eq(images.userId, user.id)),
    db.select().from(collections).where(eq(collections.userId, user.id)),
    db.select().from(comments).where(eq(comments.userId, user.id)),
    db
      .select({
        teamId: teamMembers.teamId,
        teamName: teams.name,
        role: teamMembers.role,
        joinedAt: teamMembers.createdAt,
      })
      .from(teamMembers)
      .innerJoin(teams, eq(teams.id, teamMembers.teamId))
      .where(eq(teamMembers.userId, user.id)),
    db.select().from(teamInvitations).where(eq(teamInvitations.email, user.email)),
    db.select().from(licenses).where(eq(licenses.userId, user.id)),
    db.select().from(auditLog).where(eq(auditLog.userId, user.id)),
    db.select().from(emailOutbox).where(eq(emailOutbox.toAddress, user.email)),
    db.select().from(passwordResetTokens).where(eq(passwordResetTokens.userId, user.id)),
    db.select().from(userMfa).where(eq(userMfa.userId, user.id)),
    db.select().from(mfaBackupCodes).where(eq(mfaBackupCodes.userId, user.id)),
    db.select().from(emailVerificationTokens).where(eq(emailVerificationTokens.userId, user.id)),
  ]);
  const collectionImageRows = await db
    .select({
      collectionId: collectionImages.collectionId,
      imageId: collectionImages.imageId,
      addedAt: collectionImages.addedAt,
    })
    .from(collectionImages)
    .innerJoin(collections, eq(collections.id, collectionImages.collectionId))
    .where(eq(collections.userId, user.id));
  return {
    sessionRows,
    keyRows,
    imageRows,
    collectionRows,
    collectionImageRows,
    commentRows,
    membershipRows,
    invitationRows,
    licenseRows,
    auditRows,
    outboxRows,
    resetRows,
    mfaRows,
    backupCodeRows,
    verificationRows,
  };
}

/** Teams the user owns alone: with other members they block erasure; alone, they go with the user. */
export async function soleOwnedTeams(db: Database, userId: string) {
  const rows = await db.all<{ team_id: string; members: number }>(sql`
    SELECT m.team_id AS team_id, (SELECT count(*) FROM ${teamMembers} o WHERE o.team_id = m.team_id) AS members
    FROM ${teamMembers} m
    WHERE m.user_id = ${userId} AND m.role = 'owner'
      AND (SELECT count(*) FROM ${teamMembers} o WHERE o.team_id = m.team_id AND o.role = 'owner') = 1`);
  return rows.map((row) => ({ teamId: row.team_id, members: Number(row.members) }));
}

/** The R2 keys of every image that goes with the user (theirs, and those of teams deleted with them). */
export async function imageKeysOf(db: Database, userId: string, teamIds: string[]): Promise<string[]> {
  const own = await db.select({ key: images.r2Key }).from(images).where(eq(images.userId, userId));
  const teamOwned =
    teamIds.length === 0
      ? []
      : await db.select({ key: images.r2Key }).from(images).where(inArray(images.teamId, teamIds));
  return [...new Set([...own, ...teamOwned].map((row) => row.key))];
}

/**
 * The last-owner rule, as a statement of the erasure's own batch: it fails the whole batch (a
 * NOT NULL violation, which SQLite raises as it inserts) when, at that moment, the user is the
 * only owner of a team that would outlive them: a team with other members, or one not in
 * `teamIds` (the teams that go with the user). It inserts nothing otherwise. Checked inside the
 * transaction, it sees any erasure or demotion that committed since the route decided: two
 * owners erasing their accounts at once can no longer both pass and leave a team ownerless.
 */
function refuseToOrphanATeam(db: Database, userId: string, teamIds: string[]) {
  const deletedWithUser =
    teamIds.length === 0
      ? sql`0`
      : sql`m.team_id IN (${sql.join(
          teamIds.map((id) => sql`${id}`),
          sql`, `,
        )})`;
  // INSERT … SELECT names the columns in table order: team_id, user_id, role, created_at.
  return db.insert(teamMembers).select(sql`
    SELECT m.team_id, NULL, 'owner', 0 FROM ${teamMembers} m
    WHERE m.user_id = ${userId} AND m.role = 'owner'
      AND (SELECT count(*) FROM ${teamMembers} o WHERE o.team_id = m.team_id AND o.role = 'owner') = 1
      AND ((SELECT count(*) FROM ${teamMembers} o WHERE o.team_id = m.team_id) > 1 OR NOT (${deletedWithUser}))`);
}

/** JSON text of a string value as it appears inside stored metadata (`"usr_…"`), for exact replacement. */
const quoted = (value: string) => sql`json_quote(${value})`;

/**
 * Removes the user and everything theirs in one batch (D1 runs a batch as one transaction).
 * Foreign keys cascade sessions, keys, images (with their comments and collection entries),
 * collections, comments, memberships, reset tokens and licences. The batch first re-checks the
 * last-owner rule (refuseToOrphanATeam) and fails whole if it no longer holds.
 *
 * Audit rows stay until their retention ends. The user's own rows (user_id = theirs) are
 * pseudonymised: user id and IP cleared. No other user's row loses anything of its own: its
 * user id, IP, type and time stay as they were; only where it names the erased user (their id
 * or email as a whole JSON string value in its metadata, e.g. `memberId` in a team event) is that
 * value replaced by "erased-user". The match is on the whole quoted value, so an account whose
 * email is part of another address (`ictim@corp.com` in `victim@corp.com`) rewrites nothing of
 * anyone else's. IPs are never matched across rows: an IP the user shared with others (the
 * address an attacker stuffed accounts from) stays in those other rows as evidence. The
 * erasure's own audit row, which names nobody, is written in the same batch.
 */
export async function eraseUserRows(
  db: Database,
  user: { id: string; email: string },
  teamIds: string[],
  audit: Omit<AuditContext, "ip">,
) {
  await db.batch([
    refuseToOrphanATeam(db, user.id, teamIds),
    db.update(auditLog).set({ ip: null, userId: null }).where(eq(auditLog.userId, user.id)),
    db
      .update(auditLog)
      .set({
        metadata: sql`replace(replace(${auditLog.metadata}, ${quoted(user.id)}, '"erased-user"'), ${quoted(user.email)}, '"erased-user"')`,
      })
      .where(
        sql`instr(${auditLog.metadata}, ${quoted(user.id)}) > 0 OR instr(${auditLog.metadata}, ${quoted(user.email)}) > 0`,
      ),
    db.delete(teamInvitations).where(eq(teamInvitations.email, user.email)),
    db.delete(emailOutbox).where(eq(emailOutbox.toAddress, user.email)),
    ...(teamIds.length > 0 ? [db.delete(teams).where(inArray(teams.id, teamIds))] : []),
    db.delete(users).where(eq(users.id, user.id)),
    auditEventInsert(db, { ...audit, ip: null }, { type: "account.erased" }),
  ]);
}
