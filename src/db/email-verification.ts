import { and, eq, gt, inArray, isNull, lt, min, ne, sql } from "drizzle-orm";
import { newId } from "../crypto/random";
import { type AuditContext, type AuditEvent, auditEventInsert } from "./audit";
import type { Database } from "./client";
import { emailVerificationTokens, passwordResetTokens, users } from "./schema";
import { updateUserAudited } from "./users";

/** At most 3 verification mails (sign-up, resend, email change) per address in any rolling hour. */
export const VERIFICATION_MAIL_WINDOW = { limit: 3, windowMs: 60 * 60 * 1000 };

export type VerificationTokenInsert = { userId: string; email: string; tokenHash: string; expiresAt: Date };

/**
 * Stores a link's hash unless its address already had VERIFICATION_MAIL_WINDOW.limit links in
 * the last hour (whoever asked for them: sign-up, resend, or someone else's email change).
 * Why count the stored links in D1 rather than keep a counter: one link is one mail, the count
 * and the insert are one statement (D1 runs statements one at a time, so concurrent requests
 * cannot both slip under the cap), and nothing else has to be kept in step with it.
 * Returns null when stored, else the seconds until the oldest link of the window leaves it.
 */
export async function insertVerificationTokenWithinCap(
  db: Database,
  token: VerificationTokenInsert,
  now: Date,
): Promise<{ retryAfterSeconds: number } | null> {
  const windowStart = now.getTime() - VERIFICATION_MAIL_WINDOW.windowMs;
  const result = await db.run(sql`
    INSERT INTO ${emailVerificationTokens} (id, user_id, email, token_hash, created_at, expires_at, used_at)
    SELECT ${newId("evt")}, ${token.userId}, ${token.email}, ${token.tokenHash}, ${now.getTime()}, ${token.expiresAt.getTime()}, NULL
    WHERE (SELECT count(*) FROM ${emailVerificationTokens} WHERE ${emailVerificationTokens.email} = ${token.email}
      AND ${emailVerificationTokens.createdAt} > ${windowStart}) < ${VERIFICATION_MAIL_WINDOW.limit}`);
  if (result.meta.changes === 1) return null;
  const [oldest] = await db
    .select({ at: min(emailVerificationTokens.createdAt) })
    .from(emailVerificationTokens)
    .where(
      and(eq(emailVerificationTokens.email, token.email), gt(emailVerificationTokens.createdAt, new Date(windowStart))),
    );
  const leavesAt = (oldest?.at?.getTime() ?? now.getTime()) + VERIFICATION_MAIL_WINDOW.windowMs;
  return { retryAfterSeconds: Math.max(1, Math.ceil((leavesAt - now.getTime()) / 1000)) };
}

/** Voids the user's other unused links issued up to `issuedAt` (a newer link replaces them). */
export async function voidOlderVerificationTokens(
  db: Database,
  token: { userId: string; keepHash: string; issuedAt: Date },
): Promise<void> {
  await db
    .update(emailVerificationTokens)
    .set({ usedAt: token.issuedAt })
    .where(
      and(
        eq(emailVerificationTokens.userId, token.userId),
        isNull(emailVerificationTokens.usedAt),
        ne(emailVerificationTokens.tokenHash, token.keepHash),
        sql`${emailVerificationTokens.createdAt} <= ${token.issuedAt.getTime()}`,
      ),
    );
}

const live = (tokenHash: string, now: Date) =>
  and(
    eq(emailVerificationTokens.tokenHash, tokenHash),
    isNull(emailVerificationTokens.usedAt),
    gt(emailVerificationTokens.expiresAt, now),
  );

/** The user and address of a live link, or null; a read only, so a guess uses nothing up. */
export async function findLiveVerificationToken(
  db: Database,
  tokenHash: string,
  now: Date,
): Promise<{ userId: string; email: string } | null> {
  const row = await db.query.emailVerificationTokens.findFirst({
    columns: { userId: true, email: true },
    where: live(tokenHash, now),
  });
  return row ?? null;
}

/**
 * Uses a link, in one batch (one transaction): the user's row changes only while the link is
 * still live and the user is still in the state the link was checked against, and the last
 * statement uses the link up; of two concurrent uses exactly one changes anything.
 * - `verify`: the link proves the account's current address.
 * - `change`: the link proves the pending address, which becomes the account's email. If another
 *   account holds that address by now, the UNIQUE index fails the batch and nothing changes
 *   (the caller answers email_taken). Reset links still out for the old address die with it.
 * Returns whether this use changed the account.
 */
export async function applyVerificationToken(
  db: Database,
  use: { kind: "verify" | "change"; tokenHash: string; userId: string; email: string; now: Date },
  audit: { context: AuditContext; event: AuditEvent },
): Promise<boolean> {
  const { kind, tokenHash, userId, email, now } = use;
  const tokenStillLive = sql`EXISTS (SELECT 1 FROM ${emailVerificationTokens} WHERE ${and(
    live(tokenHash, now),
    eq(emailVerificationTokens.userId, userId),
  )})`;
  const userUpdate =
    kind === "verify"
      ? db
          .update(users)
          .set({ emailVerified: true, updatedAt: now })
          .where(and(eq(users.id, userId), eq(users.email, email), tokenStillLive))
          .returning({ id: users.id })
      : db
          .update(users)
          .set({ email, emailVerified: true, pendingEmail: null, updatedAt: now })
          .where(and(eq(users.id, userId), eq(users.pendingEmail, email), tokenStillLive))
          .returning({ id: users.id });
  const statements = [
    userUpdate,
    auditEventInsert(db, audit.context, audit.event, tokenStillLive),
    ...(kind === "change"
      ? [
          db
            .update(passwordResetTokens)
            .set({ usedAt: now })
            .where(and(eq(passwordResetTokens.userId, userId), isNull(passwordResetTokens.usedAt), tokenStillLive)),
        ]
      : []),
  ] as const;
  const results = await db.batch([
    ...statements,
    db
      .update(emailVerificationTokens)
      .set({ usedAt: now })
      .where(and(live(tokenHash, now), eq(emailVerificationTokens.userId, userId)))
      .returning({ userId: emailVerificationTokens.userId }),
  ]);
  const changed = results[0] as { id: string }[];
  const used = results.at(-1) as { userId: string }[];
  return changed.length === 1 && used.length === 1;
}

/**
 * A completed password reset proved the mailbox of the account's current address: the email
 * is verified, a pending change (perhaps started by whoever held the account before) is
 * dropped, and every verification or change link still out dies.
 */
export async function claimMailboxAfterReset(db: Database, userId: string, now: Date): Promise<void> {
  await db.batch([
    db.update(users).set({ emailVerified: true, pendingEmail: null, updatedAt: now }).where(eq(users.id, userId)),
    db
      .update(emailVerificationTokens)
      .set({ usedAt: now })
      .where(and(eq(emailVerificationTokens.userId, userId), isNull(emailVerificationTokens.usedAt))),
  ]);
}

/** Records an email change request: the pending address (and a name change, if any) with its audit row. */
export function setPendingEmail(
  db: Database,
  userId: string,
  changes: { pendingEmail: string; name?: string | null },
  audit: { context: AuditContext; event: AuditEvent },
) {
  return updateUserAudited(db, userId, changes, audit);
}

/** Ids of links that expired before `now`, at most `limit` (retention; the hourly cap looks back one hour only). */
export async function listVerificationTokenIdsExpiredBefore(db: Database, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: emailVerificationTokens.id })
    .from(emailVerificationTokens)
    .where(lt(emailVerificationTokens.expiresAt, now))
    .limit(limit);
  return rows.map((row) => row.id);
}

export async function deleteVerificationTokens(db: Database, ids: string[]): Promise<void> {
  await db.delete(emailVerificationTokens).where(inArray(emailVerificationTokens.id, ids));
}
