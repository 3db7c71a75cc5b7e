import { and, asc, eq, gt, inArray, isNull, or, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { newId } from "../crypto/random";
import { type AuditContext, auditEventInsert } from "./audit";
import type { Database } from "./client";
import type { CursorPosition } from "./cursor";
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
  oauthStates,
  passkeys,
  passwordResetTokens,
  sessions,
  teamInvitations,
  teamMembers,
  teams,
  userIdentities,
  userMfa,
  users,
} from "./schema";
import { listSignInCountries } from "./sign-in-countries";
import { visibleTo } from "./tenancy";

/** Rows per query of the export: each query, and what the Worker holds at once, stays this small. */
export const EXPORT_PAGE_SIZE = 500;

/** Rows strictly after `after` in (createdAt, id) order, oldest first: keyset paging, never an offset. */
function afterPosition(columns: { createdAt: SQLiteColumn; id: SQLiteColumn }, after: CursorPosition | undefined) {
  if (!after) return undefined;
  return or(
    gt(columns.createdAt, after.createdAt),
    and(eq(columns.createdAt, after.createdAt), gt(columns.id, after.id)),
  );
}
const oldestFirst = (columns: { createdAt: SQLiteColumn; id: SQLiteColumn }) => [
  asc(columns.createdAt),
  asc(columns.id),
];

/**
 * Every row held about one user, table by table (GDPR Art. 15 and 20), one page at a time: each
 * function returns at most EXPORT_PAGE_SIZE rows after the position of the previous page's last
 * row. The export streams page after page, so no query and no response grows with the account.
 * Images and collections they created follow current membership (the tenant filter): their
 * personal ones, and those of teams they are a member of now. A team's object belongs to the
 * team: a removed member does not get its current prompt, title or id. Their comments are their
 * own words and are all exported.
 */
export function userDataPages(db: Database, user: { id: string; email: string }) {
  const membership = { createdAt: teamMembers.createdAt, id: teamMembers.teamId };
  return {
    sessions: (after?: CursorPosition) =>
      db
        .select()
        .from(sessions)
        .where(and(eq(sessions.userId, user.id), afterPosition(sessions, after)))
        .orderBy(...oldestFirst(sessions))
        .limit(EXPORT_PAGE_SIZE),
    apiKeys: (after?: CursorPosition) =>
      db
        .select()
        .from(apiKeys)
        .where(and(eq(apiKeys.userId, user.id), afterPosition(apiKeys, after)))
        .orderBy(...oldestFirst(apiKeys))
        .limit(EXPORT_PAGE_SIZE),
    images: (after?: CursorPosition) =>
      db
        .select()
        .from(images)
        .where(and(eq(images.userId, user.id), visibleTo(db, images, user.id), afterPosition(images, after)))
        .orderBy(...oldestFirst(images))
        .limit(EXPORT_PAGE_SIZE),
    collections: (after?: CursorPosition) =>
      db
        .select()
        .from(collections)
        .where(
          and(eq(collections.userId, user.id), visibleTo(db, collections, user.id), afterPosition(collections, after)),
        )
        .orderBy(...oldestFirst(collections))
        .limit(EXPORT_PAGE_SIZE),
    /** The image ids of one of the user's collections, by image id. */
    collectionImageIds: (collectionId: string, afterImageId?: string) =>
      db
        .select({ imageId: collectionImages.imageId })
        .from(collectionImages)
        .where(
          and(
            eq(collectionImages.collectionId, collectionId),
            afterImageId === undefined ? undefined : gt(collectionImages.imageId, afterImageId),
          ),
        )
        .orderBy(asc(collectionImages.imageId))
        .limit(EXPORT_PAGE_SIZE),
    comments: (after?: CursorPosition) =>
      db
        .select()
        .from(comments)
        .where(and(eq(comments.userId, user.id), afterPosition(comments, after)))
        .orderBy(...oldestFirst(comments))
        .limit(EXPORT_PAGE_SIZE),
    memberships: (after?: CursorPosition) =>
      db
        .select({
          teamId: teamMembers.teamId,
          teamName: teams.name,
          role: teamMembers.role,
          joinedAt: teamMembers.createdAt,
        })
        .from(teamMembers)
        .innerJoin(teams, eq(teams.id, teamMembers.teamId))
        .where(and(eq(teamMembers.userId, user.id), afterPosition(membership, after)))
        .orderBy(...oldestFirst(membership))
        .limit(EXPORT_PAGE_SIZE),
    invitations: (after?: CursorPosition) =>
      db
        .select()
        .from(teamInvitations)
        .where(and(eq(teamInvitations.email, user.email), afterPosition(teamInvitations, after)))
        .orderBy(...oldestFirst(teamInvitations))
        .limit(EXPORT_PAGE_SIZE),
    licenses: (after?: CursorPosition) =>
      db
        .select()
        .from(licenses)
        .where(and(eq(licenses.userId, user.id), afterPosition(licenses, after)))
        .orderBy(...oldestFirst(licenses))
        .limit(EXPORT_PAGE_SIZE),
    auditEvents: (after?: CursorPosition) =>
      db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.userId, user.id), afterPosition(auditLog, after)))
        .orderBy(...oldestFirst(auditLog))
        .limit(EXPORT_PAGE_SIZE),
    mails: (after?: CursorPosition) =>
      db
        .select()
        .from(emailOutbox)
        .where(and(eq(emailOutbox.toAddress, user.email), afterPosition(emailOutbox, after)))
        .orderBy(...oldestFirst(emailOutbox))
        .limit(EXPORT_PAGE_SIZE),
    passwordResets: (after?: CursorPosition) =>
      db
        .select()
        .from(passwordResetTokens)
        .where(and(eq(passwordResetTokens.userId, user.id), afterPosition(passwordResetTokens, after)))
        .orderBy(...oldestFirst(passwordResetTokens))
        .limit(EXPORT_PAGE_SIZE),
    emailVerifications: (after?: CursorPosition) =>
      db
        .select()
        .from(emailVerificationTokens)
        .where(and(eq(emailVerificationTokens.userId, user.id), afterPosition(emailVerificationTokens, after)))
        .orderBy(...oldestFirst(emailVerificationTokens))
        .limit(EXPORT_PAGE_SIZE),
    identities: (after?: CursorPosition) =>
      db
        .select()
        .from(userIdentities)
        .where(and(eq(userIdentities.userId, user.id), afterPosition(userIdentities, after)))
        .orderBy(...oldestFirst(userIdentities))
        .limit(EXPORT_PAGE_SIZE),
    /** Link flows started and not yet back (10 minutes at most), by their start time. */
    identityLinkFlows: (after?: CursorPosition) =>
      db
        .select({
          id: oauthStates.stateHash,
          provider: oauthStates.provider,
          createdAt: oauthStates.createdAt,
          expiresAt: oauthStates.expiresAt,
        })
        .from(oauthStates)
        .where(
          and(
            eq(oauthStates.linkUserId, user.id),
            afterPosition({ createdAt: oauthStates.createdAt, id: oauthStates.stateHash }, after),
          ),
        )
        .orderBy(asc(oauthStates.createdAt), asc(oauthStates.stateHash))
        .limit(EXPORT_PAGE_SIZE),
    passkeys: (after?: CursorPosition) =>
      db
        .select()
        .from(passkeys)
        .where(and(eq(passkeys.userId, user.id), afterPosition(passkeys, after)))
        .orderBy(...oldestFirst(passkeys))
        .limit(EXPORT_PAGE_SIZE),
    signInCountries: () => listSignInCountries(db, user.id),
    /** One row per user at most. */
    twoFactor: () => db.select().from(userMfa).where(eq(userMfa.userId, user.id)).limit(1),
    backupCodes: (after?: CursorPosition) =>
      db
        .select()
        .from(mfaBackupCodes)
        .where(and(eq(mfaBackupCodes.userId, user.id), afterPosition(mfaBackupCodes, after)))
        .orderBy(...oldestFirst(mfaBackupCodes))
        .limit(EXPORT_PAGE_SIZE),
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
  // metadata, created_at, aggregate_key.
  return db.insert(auditLog).select(sql`
    SELECT ${newId("aud")}, 'team.member_erased', NULL, ${teamId}, NULL, ${requestId},
      json_object(
        'images', (SELECT count(*) FROM ${images} WHERE user_id = ${userId} AND team_id = ${teamId}),
        'collections', (SELECT count(*) FROM ${collections} WHERE user_id = ${userId} AND team_id = ${teamId}),
        'comments', (SELECT count(*) FROM ${comments} c JOIN ${images} i ON i.id = c.image_id
          WHERE c.user_id = ${userId} AND i.team_id = ${teamId})),
      ${Date.now()}, NULL`);
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
 * pseudonymised: user id, IP and aggregation key (which names both) cleared. No other user's row loses anything of its own: its
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
    db.update(auditLog).set({ ip: null, userId: null, aggregateKey: null }).where(eq(auditLog.userId, user.id)),
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
