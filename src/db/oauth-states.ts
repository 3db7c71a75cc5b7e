import { eq, inArray, lt } from "drizzle-orm";
import type { Database } from "./client";
import { type OAuthState, oauthStates } from "./schema";

export async function insertOAuthState(db: Database, state: OAuthState): Promise<void> {
  await db.insert(oauthStates).values(state);
}

/**
 * Takes a flow's state out in one statement (DELETE … RETURNING): of two callbacks racing with
 * the same `state`, exactly one gets the row, so a state is single use under any concurrency.
 */
export async function consumeOAuthState(db: Database, stateHash: string): Promise<OAuthState | undefined> {
  const [row] = await db.delete(oauthStates).where(eq(oauthStates.stateHash, stateHash)).returning();
  return row;
}

/** Hashes of flows that expired before `now` (retention job), at most `limit`. */
export async function listOAuthStatesExpiredBefore(db: Database, now: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ stateHash: oauthStates.stateHash })
    .from(oauthStates)
    .where(lt(oauthStates.expiresAt, now))
    .limit(limit);
  return rows.map((row) => row.stateHash);
}

export async function deleteOAuthStates(db: Database, stateHashes: string[]): Promise<void> {
  await db.delete(oauthStates).where(inArray(oauthStates.stateHash, stateHashes));
}
