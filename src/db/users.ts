import { and, eq, type SQL } from "drizzle-orm";
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

export async function updateUserProfile(
  db: Database,
  userId: string,
  changes: Partial<Pick<User, "name" | "email">>,
  now: Date,
): Promise<User | undefined> {
  const [updated] = await db
    .update(users)
    .set({ ...changes, updatedAt: now })
    .where(eq(users.id, userId))
    .returning();
  return updated;
}

export async function updateUserPlan(
  db: Database,
  userId: string,
  changes: Partial<Pick<User, "plan" | "rateLimitPerMinute">>,
): Promise<User | undefined> {
  const [updated] = await db
    .update(users)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(users.id, userId))
    .returning();
  return updated;
}

/**
 * The update that sets a new password hash, not yet run (for the `db.batch` of the whole
 * password change); with `onlyIf`, it applies only if that condition holds when the batch runs.
 */
export function passwordHashUpdate(db: Database, userId: string, passwordHash: string, now: Date, onlyIf?: SQL) {
  return db
    .update(users)
    .set({ passwordHash, updatedAt: now })
    .where(and(eq(users.id, userId), onlyIf));
}

/** The public shape of a user (API.md "Account"): never the hash or internal limits. */
export function publicUser(user: User) {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    plan: user.plan,
    createdAt: user.createdAt.toISOString(),
  };
}
