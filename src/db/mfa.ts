import { and, eq, isNull, lt, or, sql } from "drizzle-orm";
import { newId } from "../crypto/random";
import type { auditEventInsert } from "./audit";
import type { Database } from "./client";
import { mfaBackupCodes, type UserMfa, userMfa } from "./schema";
import type { sessionsCutOffUpdate } from "./sessions";

export async function findMfa(db: Database, userId: string): Promise<UserMfa | undefined> {
  return db.query.userMfa.findFirst({ where: eq(userMfa.userId, userId) });
}

/** Starts (or restarts) an enrolment; refused while 2FA is on. Returns false when it is on. */
export async function storePendingMfa(
  db: Database,
  userId: string,
  secretCiphertext: string,
  now: Date,
): Promise<boolean> {
  const rows = await db
    .insert(userMfa)
    .values({ userId, secretCiphertext, createdAt: now })
    .onConflictDoUpdate({
      target: userMfa.userId,
      set: { secretCiphertext, createdAt: now, lastUsedStep: null },
      setWhere: isNull(userMfa.enabledAt),
    })
    .returning({ userId: userMfa.userId });
  return rows.length === 1;
}

/**
 * Replaces a seed sealed under a retired key with the same seed sealed under the current one;
 * only if it is still the value that was read (a concurrent re-enrolment wins).
 */
export async function resealTotpSecret(db: Database, userId: string, sealed: string, resealed: string) {
  await db
    .update(userMfa)
    .set({ secretCiphertext: resealed })
    .where(and(eq(userMfa.userId, userId), eq(userMfa.secretCiphertext, sealed)));
}

/**
 * Turns 2FA on with its backup codes and its audit row, in one batch; with `otherSessionsEnded`,
 * the sessions the guard just cut off are marked revoked in the same batch.
 */
export async function enableMfa(
  db: Database,
  userId: string,
  backupCodeHashes: string[],
  step: number,
  now: Date,
  auditRow: ReturnType<typeof auditEventInsert>,
  otherSessionsEnded?: ReturnType<typeof sessionsCutOffUpdate>,
) {
  await db.batch([
    db
      .update(userMfa)
      .set({ enabledAt: now, lastUsedStep: step })
      .where(and(eq(userMfa.userId, userId), isNull(userMfa.enabledAt))),
    db.delete(mfaBackupCodes).where(eq(mfaBackupCodes.userId, userId)),
    db
      .insert(mfaBackupCodes)
      .values(backupCodeHashes.map((codeHash) => ({ id: newId("bkc"), userId, codeHash, createdAt: now }))),
    auditRow,
    ...(otherSessionsEnded ? [otherSessionsEnded] : []),
  ]);
}

/** Accepts a TOTP step once: a replay of the same (or an older) step is refused, atomically. */
export async function consumeTotpStep(db: Database, userId: string, step: number): Promise<boolean> {
  const rows = await db
    .update(userMfa)
    .set({ lastUsedStep: step })
    .where(and(eq(userMfa.userId, userId), or(isNull(userMfa.lastUsedStep), lt(userMfa.lastUsedStep, step))))
    .returning({ userId: userMfa.userId });
  return rows.length === 1;
}

/** Uses a backup code once, atomically. */
export async function consumeBackupCode(db: Database, userId: string, codeHash: string, now: Date): Promise<boolean> {
  const rows = await db
    .update(mfaBackupCodes)
    .set({ usedAt: now })
    .where(and(eq(mfaBackupCodes.userId, userId), eq(mfaBackupCodes.codeHash, codeHash), isNull(mfaBackupCodes.usedAt)))
    .returning({ id: mfaBackupCodes.id });
  return rows.length === 1;
}

/** Turns 2FA off (secret and backup codes) and writes its audit row, in one batch. */
export async function disableMfa(
  db: Database,
  userId: string,
  auditRow: ReturnType<typeof auditEventInsert>,
): Promise<void> {
  await db.batch([
    db.delete(mfaBackupCodes).where(eq(mfaBackupCodes.userId, userId)),
    db.delete(userMfa).where(eq(userMfa.userId, userId)),
    auditRow,
  ]);
}

export async function countUnusedBackupCodes(db: Database, userId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(mfaBackupCodes)
    .where(and(eq(mfaBackupCodes.userId, userId), isNull(mfaBackupCodes.usedAt)));
  return Number(row?.n ?? 0);
}
