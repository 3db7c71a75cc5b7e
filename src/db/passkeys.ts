import { and, count, desc, eq, gt, lt, sql } from "drizzle-orm";
import type { Database } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { type Passkey, type PasskeyChallenge, passkeyChallenges, passkeys } from "./schema";
import { signInMethodsSql } from "./sign-in-methods";

/** A user may hold this many passkeys: enough for every device, not a table that grows at will. */
export const MAX_PASSKEYS_PER_USER = 20;

export async function storePasskeyChallenge(db: Database, challenge: PasskeyChallenge): Promise<void> {
  await db.insert(passkeyChallenges).values(challenge);
}

/**
 * Takes a sign-in challenge by its id, if it is still alive: the DELETE … RETURNING is one
 * statement, so of two requests presenting the same id at most one gets it (single use).
 */
export async function consumeAuthenticationChallenge(
  db: Database,
  challengeId: string,
  now: Date,
): Promise<string | null> {
  const [row] = await db
    .delete(passkeyChallenges)
    .where(and(eq(passkeyChallenges.id, challengeId), eq(passkeyChallenges.purpose, "authentication")))
    .returning({ challenge: passkeyChallenges.challenge, expiresAt: passkeyChallenges.expiresAt });
  // An expired row is deleted all the same: it was never going to be usable again.
  return row && row.expiresAt > now ? row.challenge : null;
}

/** Takes one of the user's own live registration challenges (single use, like the sign-in ones). */
export async function consumeRegistrationChallenge(
  db: Database,
  userId: string,
  challenge: string,
  now: Date,
): Promise<boolean> {
  const [row] = await db
    .delete(passkeyChallenges)
    .where(
      and(
        eq(passkeyChallenges.userId, userId),
        eq(passkeyChallenges.purpose, "registration"),
        eq(passkeyChallenges.challenge, challenge),
      ),
    )
    .returning({ expiresAt: passkeyChallenges.expiresAt });
  return row !== undefined && row.expiresAt > now;
}

/** Expired challenges, for the retention job (sign-ins that were never finished). */
export async function deleteChallengesExpiredBefore(db: Database, now: Date, limit: number): Promise<number> {
  const result = await db.run(sql`
    DELETE FROM ${passkeyChallenges} WHERE ${passkeyChallenges.id} IN (
      SELECT ${passkeyChallenges.id} FROM ${passkeyChallenges} WHERE ${lt(passkeyChallenges.expiresAt, now)} LIMIT ${limit})`);
  return result.meta.changes;
}

/**
 * Inserts a passkey unless the user already has MAX_PASSKEYS_PER_USER (the count is part of the
 * statement, so concurrent registrations cannot overshoot). Returns "full", "duplicate" (the
 * credential is registered already, to anyone) or "created".
 */
export async function insertPasskeyWithinCap(
  db: Database,
  passkey: Passkey,
): Promise<"created" | "full" | "duplicate"> {
  const result = await db.run(sql`
    INSERT INTO ${passkeys} (id, user_id, credential_id, public_key, counter, transports, name, created_at, last_used_at)
    SELECT ${passkey.id}, ${passkey.userId}, ${passkey.credentialId}, ${passkey.publicKey}, ${passkey.counter},
      ${JSON.stringify(passkey.transports)}, ${passkey.name}, ${passkey.createdAt.getTime()}, NULL
    WHERE (SELECT count(*) FROM ${passkeys} WHERE ${passkeys.userId} = ${passkey.userId}) < ${MAX_PASSKEYS_PER_USER}
    ON CONFLICT (credential_id) DO NOTHING`);
  if (result.meta.changes === 1) return "created";
  const existing = await findPasskeyByCredentialId(db, passkey.credentialId);
  return existing ? "duplicate" : "full";
}

export async function findPasskeyByCredentialId(db: Database, credentialId: string): Promise<Passkey | undefined> {
  return db.query.passkeys.findFirst({ where: eq(passkeys.credentialId, credentialId) });
}

export async function findOwnPasskey(db: Database, userId: string, passkeyId: string): Promise<Passkey | undefined> {
  return db.query.passkeys.findFirst({ where: and(eq(passkeys.id, passkeyId), eq(passkeys.userId, userId)) });
}

/** The credential ids a user registered: the authenticator is told not to register one twice. */
export async function listCredentialIds(db: Database, userId: string): Promise<string[]> {
  const rows = await db
    .select({ credentialId: passkeys.credentialId })
    .from(passkeys)
    .where(eq(passkeys.userId, userId));
  return rows.map((row) => row.credentialId);
}

export async function countPasskeys(db: Database, userId: string): Promise<number> {
  const [row] = await db.select({ total: count() }).from(passkeys).where(eq(passkeys.userId, userId));
  return row?.total ?? 0;
}

/** A page of the user's passkeys, newest first. */
export async function listPasskeys(
  db: Database,
  userId: string,
  page: { limit: number; after?: CursorPosition | undefined },
): Promise<Passkey[]> {
  return db
    .select()
    .from(passkeys)
    .where(and(eq(passkeys.userId, userId), afterCursor(passkeys, page.after)))
    .orderBy(desc(passkeys.createdAt), desc(passkeys.id))
    .limit(page.limit);
}

export async function renamePasskey(db: Database, userId: string, passkeyId: string, name: string) {
  const [row] = await db
    .update(passkeys)
    .set({ name })
    .where(and(eq(passkeys.id, passkeyId), eq(passkeys.userId, userId)))
    .returning();
  return row;
}

/**
 * Deletes one of the user's passkeys unless it is their last way to sign in; whether it went.
 * The rule is part of the DELETE: two removals racing for the last two ways cannot both succeed.
 */
export async function removePasskeyKeepingAWayIn(db: Database, userId: string, passkeyId: string): Promise<boolean> {
  const removed = await db
    .delete(passkeys)
    .where(and(eq(passkeys.id, passkeyId), eq(passkeys.userId, userId), gt(signInMethodsSql(userId, { passkeyId }), 0)))
    .returning({ id: passkeys.id });
  return removed.length === 1;
}

/**
 * Moves the stored counter to `newCounter` after a verified assertion, only if it moves forward
 * (or both are 0: an authenticator that keeps no counter). The condition is in the statement, so
 * two sign-ins with the same counter value (a cloned authenticator, or a replay racing the
 * original) cannot both pass. Returns false when the counter did not move forward.
 */
export async function advancePasskeyCounter(
  db: Database,
  passkeyId: string,
  newCounter: number,
  now: Date,
): Promise<boolean> {
  const result = await db.run(sql`
    UPDATE ${passkeys} SET counter = ${newCounter}, last_used_at = ${now.getTime()}
    WHERE id = ${passkeyId} AND (counter < ${newCounter} OR (counter = 0 AND ${newCounter} = 0))`);
  return result.meta.changes === 1;
}
