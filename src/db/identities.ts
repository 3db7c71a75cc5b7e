import { and, desc, eq, gt } from "drizzle-orm";
import { type AuditContext, type AuditEvent, auditEventInsert } from "./audit";
import { type Database, isUniqueViolation } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { type User, type UserIdentity, userIdentities, users } from "./schema";
import { signInMethodsSql } from "./sign-in-methods";

export async function findIdentity(db: Database, provider: string, subject: string): Promise<UserIdentity | undefined> {
  return db.query.userIdentities.findFirst({
    where: and(eq(userIdentities.provider, provider), eq(userIdentities.subject, subject)),
  });
}

export async function listIdentities(
  db: Database,
  userId: string,
  page: { limit: number; after?: CursorPosition | undefined },
): Promise<UserIdentity[]> {
  return db
    .select()
    .from(userIdentities)
    .where(and(eq(userIdentities.userId, userId), afterCursor(userIdentities, page.after)))
    .orderBy(desc(userIdentities.createdAt), desc(userIdentities.id))
    .limit(page.limit);
}

/**
 * Links an identity to an existing user, with its audit row, in one batch. `taken` when the
 * provider account already belongs to someone (the unique index on provider+subject decides,
 * also when two links race).
 */
export async function linkIdentity(
  db: Database,
  identity: UserIdentity,
  audit: { context: AuditContext; event: AuditEvent },
): Promise<"linked" | "taken"> {
  try {
    await db.batch([db.insert(userIdentities).values(identity), auditEventInsert(db, audit.context, audit.event)]);
    return "linked";
  } catch (error) {
    if (isUniqueViolation(error)) return "taken";
    throw error;
  }
}

/**
 * Creates an account and its first identity together (both or neither). `email_taken` when an
 * account with the email appeared meanwhile (never linked to it), `identity_taken` when the
 * identity was linked by a concurrent callback.
 */
export async function createUserWithIdentity(
  db: Database,
  user: typeof users.$inferInsert,
  identity: UserIdentity,
  audit: { context: AuditContext; event: AuditEvent },
): Promise<{ created: User } | { conflict: "email_taken" | "identity_taken" }> {
  try {
    const [inserted] = await db.batch([
      db.insert(users).values(user).returning(),
      db.insert(userIdentities).values(identity),
      auditEventInsert(db, audit.context, audit.event),
    ]);
    const created = inserted[0];
    if (!created) throw new Error("insert returned no row");
    return { created };
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    const cause = error instanceof Error ? String((error.cause as Error | undefined)?.message ?? error.message) : "";
    return { conflict: cause.includes("users.email") ? "email_taken" : "identity_taken" };
  }
}

/**
 * Removes one of the user's identities unless it is their last way to sign in, decided inside
 * the DELETE itself (so two removals racing for the last two ways cannot both succeed).
 */
export async function removeIdentity(
  db: Database,
  userId: string,
  identityId: string,
): Promise<{ removed: UserIdentity } | "not_found" | "last_method"> {
  const [removed] = await db
    .delete(userIdentities)
    .where(
      and(
        eq(userIdentities.id, identityId),
        eq(userIdentities.userId, userId),
        gt(signInMethodsSql(userId, { identityId }), 0),
      ),
    )
    .returning();
  if (removed) return { removed };
  const exists = await db.query.userIdentities.findFirst({
    where: and(eq(userIdentities.id, identityId), eq(userIdentities.userId, userId)),
  });
  return exists ? "last_method" : "not_found";
}
