import { and, eq, ne, type SQL, sql } from "drizzle-orm";
import type { Database } from "./client";
import { userIdentities, users } from "./schema";

/**
 * The ways a user can sign in, as one SQL expression (API.md: the last one cannot be removed):
 * a password when `has_password` (an account a provider created has a password nobody knows),
 * plus each linked identity, leaving out `excludingIdentityId`. Passkeys join this count when
 * that half of issue 17 lands. Used inside the DELETE itself, so two removals racing for the
 * last two ways cannot both succeed.
 */
export function signInMethodsSql(userId: string, excluding: { identityId?: string } = {}): SQL<number> {
  const identities = and(
    eq(userIdentities.userId, userId),
    excluding.identityId ? ne(userIdentities.id, excluding.identityId) : undefined,
  );
  return sql<number>`(
    (SELECT CASE WHEN ${users.hasPassword} THEN 1 ELSE 0 END FROM ${users} WHERE ${users.id} = ${userId})
    + (SELECT count(*) FROM ${userIdentities} WHERE ${identities})
  )`;
}

/** How many ways the user has to sign in now (for the console; the rule itself is enforced in SQL). */
export async function countSignInMethods(db: Database, userId: string): Promise<number> {
  const [row] = await db.all<{ count: number }>(sql`SELECT ${signInMethodsSql(userId)} AS count`);
  return Number(row?.count ?? 0);
}
