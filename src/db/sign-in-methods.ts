import { and, eq, ne, type SQL, sql } from "drizzle-orm";
import type { Database } from "./client";
import { passkeys, userIdentities, users } from "./schema";

/**
 * The ways a user can sign in, as one SQL expression (API.md: the last one cannot be removed):
 * a password when `has_password` (an account a provider created has a password nobody knows),
 * plus each linked identity and each passkey, leaving out the one being removed. It is used
 * inside the DELETE itself, so two removals racing for the last two ways cannot both succeed.
 */
export function signInMethodsSql(
  userId: string,
  excluding: { identityId?: string; passkeyId?: string } = {},
): SQL<number> {
  const identities = and(
    eq(userIdentities.userId, userId),
    excluding.identityId ? ne(userIdentities.id, excluding.identityId) : undefined,
  );
  const ownPasskeys = and(
    eq(passkeys.userId, userId),
    excluding.passkeyId ? ne(passkeys.id, excluding.passkeyId) : undefined,
  );
  return sql<number>`(
    (SELECT CASE WHEN ${users.hasPassword} THEN 1 ELSE 0 END FROM ${users} WHERE ${users.id} = ${userId})
    + (SELECT count(*) FROM ${userIdentities} WHERE ${identities})
    + (SELECT count(*) FROM ${passkeys} WHERE ${ownPasskeys})
  )`;
}

/** How many ways the user has to sign in now (for the console; the rule itself is enforced in SQL). */
export async function countSignInMethods(db: Database, userId: string): Promise<number> {
  const [row] = await db.all<{ count: number }>(sql`SELECT ${signInMethodsSql(userId)} AS count`);
  return Number(row?.count ?? 0);
}
