import { and, eq, type SQL, sql } from "drizzle-orm";
import { type AuditContext, type AuditEvent, auditEventInsert } from "./audit";
import type { Database } from "./client";
import { type User, users } from "./schema";

export async function findUserByEmail(db: Database, email: string): Promise<User | undefined> {
  return db.query.users.findFirst({ where: eq(users.email, email) });
}

export async function findUserById(db: Database, userId: string): Promise<User | undefined> {
  return db.query.users.findFirst({ where: eq(users.id, userId) });
}

export async function insertUser(db: Database, user: typeof users.$inferInsert): Promise<User> {
  const [created] = await db.insert(users).values(user).returning();
  if (!created) throw new Error("insert returned no row");
  return created;
}

/**
 * Changes a user's row and writes the audit row that records it, in one batch (both or
 * neither); the audit row only if the user still exists. Returns the updated user.
 */
export async function updateUserAudited(
  db: Database,
  userId: string,
  changes: Partial<Pick<User, "name" | "email" | "pendingEmail" | "plan" | "rateLimitPerMinute">>,
  audit: { context: AuditContext; event: AuditEvent },
): Promise<User | undefined> {
  const stillThere = sql`EXISTS (SELECT 1 FROM ${users} WHERE ${users.id} = ${userId})`;
  const [updated] = await db.batch([
    db
      .update(users)
      .set({ ...changes, updatedAt: new Date() })
      .where(eq(users.id, userId))
      .returning(),
    auditEventInsert(db, audit.context, audit.event, stillThere),
  ]);
  return updated[0];
}

export function updateUserProfile(
  db: Database,
  userId: string,
  changes: Partial<Pick<User, "name" | "email">>,
  audit: { context: AuditContext; event: AuditEvent },
): Promise<User | undefined> {
  return updateUserAudited(db, userId, changes, audit);
}

export function updateUserPlan(
  db: Database,
  userId: string,
  changes: Partial<Pick<User, "plan" | "rateLimitPerMinute">>,
  audit: { context: AuditContext; event: AuditEvent },
): Promise<User | undefined> {
  return updateUserAudited(db, userId, changes, audit);
}

/**
 * The update that sets a new password hash, not yet run (for the `db.batch` of the whole
 * password change); with `onlyIf`, it applies only if that condition holds when the batch runs.
 */
export function passwordHashUpdate(db: Database, userId: string, passwordHash: string, now: Date, onlyIf?: SQL) {
  // A new password ends an operator's forced reset: whoever set it proved the mailbox or a session.
  return db
    .update(users)
    .set({ passwordHash, passwordResetRequired: false, updatedAt: now })
    .where(and(eq(users.id, userId), onlyIf));
}

/** The update (for a batch) that refuses password sign-in until a new password is set. */
export function passwordResetRequiredUpdate(db: Database, userId: string, now: Date) {
  return db.update(users).set({ passwordResetRequired: true, updatedAt: now }).where(eq(users.id, userId));
}

/** The public shape of a user (API.md "Account"): never the hash or internal limits. */
export function publicUser(user: User) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    plan: user.plan,
    createdAt: user.createdAt.toISOString(),
    emailVerified: user.emailVerified,
    pendingEmail: user.pendingEmail,
  };
}
