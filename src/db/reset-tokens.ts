import { and, eq, gt, inArray, isNull, lt, lte, ne, sql } from "drizzle-orm";
import { newId } from "../crypto/random";
import { apiKeysCutOffUpdate } from "./api-keys";
import { type AuditContext, type AuditEvent, auditEventInsert } from "./audit";
import type { Database } from "./client";
import { passwordResetTokens } from "./schema";
import { sessionsCutOffUpdate } from "./sessions";
import { passwordHashUpdate } from "./users";

/** Stores a new token's hash; older tokens stay live until `voidOlderResetTokens`. */
export async function insertResetToken(
  db: Database,
  token: { userId: string; tokenHash: string; expiresAt: Date },
  now: Date,
): Promise<void> {
  await db.insert(passwordResetTokens).values({ id: newId("rst"), ...token, createdAt: now });
}

/**
 * Voids every unused token of the user issued up to `issuedAt`, except `keepHash`. Of two
 * concurrent requests, the one issued later voids the other's token and keeps its own.
 */
export async function voidOlderResetTokens(
  db: Database,
  token: { userId: string; keepHash: string; issuedAt: Date },
): Promise<void> {
  await db
    .update(passwordResetTokens)
    .set({ usedAt: token.issuedAt })
    .where(
      and(
        eq(passwordResetTokens.userId, token.userId),
        isNull(passwordResetTokens.usedAt),
        ne(passwordResetTokens.tokenHash, token.keepHash),
        lte(passwordResetTokens.createdAt, token.issuedAt),
      ),
    );
}

/**
 * The update that voids every unused reset token of the user: after a password change, a link
 * mailed before it must not set yet another password (the mailbox may be what leaked).
 */
export function resetTokensVoidedUpdate(db: Database, userId: string, now: Date) {
  return db
    .update(passwordResetTokens)
    .set({ usedAt: now })
    .where(and(eq(passwordResetTokens.userId, userId), isNull(passwordResetTokens.usedAt)));
}

const live = (tokenHash: string, now: Date) =>
  and(
    eq(passwordResetTokens.tokenHash, tokenHash),
    isNull(passwordResetTokens.usedAt),
    gt(passwordResetTokens.expiresAt, now),
  );

/** The user whose live token this is, or null; a read only, so a guess uses nothing up. */
export async function findResetTokenUser(db: Database, tokenHash: string, now: Date): Promise<string | null> {
  const row = await db.query.passwordResetTokens.findFirst({
    columns: { userId: true },
    where: live(tokenHash, now),
  });
  return row?.userId ?? null;
}

/**
 * Sets a new password with a reset token, in one batch (one transaction): the password, the
 * sessions (and keys) marked revoked and the audit rows change only while the token is still
 * live, and the last statement uses the token up. Either all of it happens or none of it does, and of two
 * concurrent resets with one token exactly one changes anything. Returns whether this one did.
 */
export async function resetPasswordWithToken(
  db: Database,
  reset: {
    tokenHash: string;
    userId: string;
    passwordHash: string;
    /** The user guard's cut-off: sessions (and with `revokeApiKeys` keys) created up to it end. */
    cutOff: number;
    revokeApiKeys: boolean;
    now: Date;
  },
  audit: { context: AuditContext; events: AuditEvent[] },
): Promise<boolean> {
  const { tokenHash, userId, passwordHash, cutOff, revokeApiKeys, now } = reset;
  const tokenStillLive = sql`EXISTS (SELECT 1 FROM ${passwordResetTokens} WHERE ${and(
    live(tokenHash, now),
    eq(passwordResetTokens.userId, userId),
  )})`;
  const results = await db.batch([
    passwordHashUpdate(db, userId, passwordHash, now, tokenStillLive),
    sessionsCutOffUpdate(db, userId, { cutOff, keptSessionId: null, now }, tokenStillLive),
    ...(revokeApiKeys ? [apiKeysCutOffUpdate(db, userId, { cutOff, now }, tokenStillLive)] : []),
    ...audit.events.map((event) => auditEventInsert(db, audit.context, event, tokenStillLive)),
    db
      .update(passwordResetTokens)
      .set({ usedAt: now })
      .where(and(live(tokenHash, now), eq(passwordResetTokens.userId, userId)))
      .returning({ userId: passwordResetTokens.userId }),
  ]);
  const used = results.at(-1) as { userId: string }[];
  return used.length === 1;
}

/** Ids of reset tokens that expired before `now`, at most `limit` (retention). */
export async function listResetTokenIdsExpiredBefore(db: Database, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: passwordResetTokens.id })
    .from(passwordResetTokens)
    .where(lt(passwordResetTokens.expiresAt, now))
    .limit(limit);
  return rows.map((row) => row.id);
}

export async function deleteResetTokens(db: Database, ids: string[]): Promise<void> {
  await db.delete(passwordResetTokens).where(inArray(passwordResetTokens.id, ids));
}
