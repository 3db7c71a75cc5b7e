import { and, eq, gt, isNull } from "drizzle-orm";
import { newId } from "../crypto/random";
import type { Database } from "./client";
import { passwordResetTokens } from "./schema";

/** Stores a new token's hash and voids every older unused token of the user, in one batch. */
export async function replaceResetToken(
  db: Database,
  token: { userId: string; tokenHash: string; expiresAt: Date },
  now: Date,
): Promise<void> {
  await db.batch([
    db
      .update(passwordResetTokens)
      .set({ usedAt: now })
      .where(and(eq(passwordResetTokens.userId, token.userId), isNull(passwordResetTokens.usedAt))),
    db.insert(passwordResetTokens).values({ id: newId("rst"), ...token, createdAt: now }),
  ]);
}

const live = (tokenHash: string, now: Date) =>
  and(
    eq(passwordResetTokens.tokenHash, tokenHash),
    isNull(passwordResetTokens.usedAt),
    gt(passwordResetTokens.expiresAt, now),
  );

export async function isResetTokenLive(db: Database, tokenHash: string, now: Date): Promise<boolean> {
  const row = await db.query.passwordResetTokens.findFirst({ columns: { id: true }, where: live(tokenHash, now) });
  return row !== undefined;
}

/**
 * Marks a live token used and returns its user, in one statement: of two concurrent resets with
 * one token, exactly one gets a user id. Unknown, used, voided or expired tokens return null.
 */
export async function consumeResetToken(db: Database, tokenHash: string, now: Date): Promise<string | null> {
  const [row] = await db
    .update(passwordResetTokens)
    .set({ usedAt: now })
    .where(live(tokenHash, now))
    .returning({ userId: passwordResetTokens.userId });
  return row?.userId ?? null;
}
