import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import { newId } from "../crypto/random";
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
import { visibleTo } from "./tenancy";

/**
 * Every row held about one user, table by table (GDPR Art. 15 and 20). Images and collections
 * they created follow current membership (the tenant filter): their personal ones, and those of
 * teams they are a member of now. A team's object belongs to the team: a removed member does not
 * get its current prompt, title or id. Their comments are their own words and are all exported.
 */
export async function collectUserData(db: Database, user: { id: string; email: string }) {
  const createdImages = and(eq(images.userId, user.id), visibleTo(db, images, user.id));
  const createdCollections = and(eq(collections.userId, user.id), visibleTo(db, collections, user.id));
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
    db.select().from(images).where(createdImages),
    db.select().from(collections).where(createdCollections),
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
    .where(createdCollections);
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

/**
 * The R2 keys of every image that goes with the user: their personal ones, and those of teams
 * deleted with them. A team image they created stays the team's, and so do its bytes.
 */
export async function imageKeysOf(db: Database, userId: string, teamIds: string[]): Promise<string[]> {
  const own = await db
    .select({ key: images.r2Key })
    .from(images)
    .where(and(eq(images.userId, userId), isNull(images.teamId)));
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

/**
 * The teams that outlive the user and keep something of theirs (images, collections, comments on
 * the team's images) or lose them as a member: each gets a `team.member_erased` row.
 */
async function teamsKeepingWorkOf(db: Database, userId: string, deletedTeamIds: string[]): Promise<string[]> {
  const rows = await db.all<{ team_id: string }>(sql`
    SELECT team_id FROM ${images} WHERE user_id = ${userId} AND team_id IS NOT NULL
    UNION SELECT team_id FROM ${collections} WHERE user_id = ${userId} AND team_id IS NOT NULL
    UNION SELECT i.team_id FROM ${comments} c JOIN ${images} i ON i.id = c.image_id
      WHERE c.user_id = ${userId} AND i.team_id IS NOT NULL
    UNION SELECT team_id FROM ${teamMembers} WHERE user_id = ${userId}`);
  return rows.map((row) => row.team_id).filter((teamId) => !deletedTeamIds.includes(teamId));
}

/**
 * The team's audit row of the erasure, as a statement of the erasure's batch (run before the
 * user row goes, while the creator column still names them). It counts what the team keeps and
 * names nobody: no user id, IP or email of the erased user.
 */
function memberErasedRow(db: Database, userId: string, teamId: string, requestId: string) {
  // INSERT … SELECT names the columns in table order: id, type, user_id, team_id, ip, request_id,
  // metadata, created_at.
  return db.insert(auditLog).select(sql`
    SELECT ${newId("aud")}, 'team.member_erased', NULL, ${teamId}, NULL, ${requestId},
      json_object(
        'images', (SELECT count(*) FROM ${images} WHERE user_id = ${userId} AND team_id = ${teamId}),
        'collections', (SELECT count(*) FROM ${collections} WHERE user_id = ${userId} AND team_id = ${teamId}),
        'comments', (SELECT count(*) FROM ${comments} c JOIN ${images} i ON i.id = c.image_id
          WHERE c.user_id = ${userId} AND i.team_id = ${teamId})),
      ${Date.now()}`);
}

/** JSON text of a string value as it appears inside stored metadata (`"usr_…"`), for exact replacement. */
const quoted = (value: string) => sql`json_quote(${value})`;

/**
 * Removes the user and everything theirs in one batch (D1 runs a batch as one transaction).
 * Their personal images (with the comments and collection entries on them) and personal
 * collections are deleted here; foreign keys cascade sessions, keys, memberships, reset tokens
 * and licences. What they made in a team that outlives them stays the team's: the user row's
 * deletion sets the creator of those images, collections and comments to NULL (a former
 * member), and each such team gets a `team.member_erased` row. The batch first re-checks the
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
  const keepingTeams = await teamsKeepingWorkOf(db, user.id, teamIds);
  await db.batch([
    refuseToOrphanATeam(db, user.id, teamIds),
    ...keepingTeams.map((teamId) => memberErasedRow(db, user.id, teamId, audit.requestId)),
    // Personal objects only (team_id NULL): the comments on those images and their collection
    // entries cascade; the user's comments on other personal images cannot exist (nobody else
    // sees one) but are matched as well.
    db
      .delete(comments)
      .where(
        and(
          eq(comments.userId, user.id),
          inArray(comments.imageId, db.select({ id: images.id }).from(images).where(isNull(images.teamId))),
        ),
      ),
    db.delete(images).where(and(eq(images.userId, user.id), isNull(images.teamId))),
    db.delete(collections).where(and(eq(collections.userId, user.id), isNull(collections.teamId))),
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
