import { and, eq, gt, lt, ne, sql } from "drizzle-orm";
import type { Database } from "./client";
import { signInCountries } from "./schema";

/** A country not seen for this long is new again (and its row is deleted by the retention run). */
export const NEW_COUNTRY_LOOKBACK_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * Records a sign-in from `country` at `now`, and says whether to tell the owner: "new" when the
 * country was not seen since `since` while another one was; "first" when none was (the account's
 * first country: nothing to compare with); "known" otherwise. The claim is one conditional upsert,
 * so two simultaneous sign-ins from a new country mail once.
 */
export async function recordSignInCountry(
  db: Database,
  sign: { userId: string; country: string; now: Date; since: Date },
): Promise<"new" | "first" | "known"> {
  const refreshed = await db
    .update(signInCountries)
    .set({ lastSeenAt: sign.now })
    .where(
      and(
        eq(signInCountries.userId, sign.userId),
        eq(signInCountries.country, sign.country),
        gt(signInCountries.lastSeenAt, sign.since),
      ),
    );
  if (refreshed.meta.changes > 0) return "known";
  const [other] = await db
    .select({ country: signInCountries.country })
    .from(signInCountries)
    .where(
      and(
        eq(signInCountries.userId, sign.userId),
        ne(signInCountries.country, sign.country),
        gt(signInCountries.lastSeenAt, sign.since),
      ),
    )
    .limit(1);
  // Inserts the country, or revives a row older than `since`; a row a concurrent sign-in just
  // claimed is fresh, so this one changes nothing and does not mail again.
  const claimed = await db
    .insert(signInCountries)
    .values({ userId: sign.userId, country: sign.country, lastSeenAt: sign.now })
    .onConflictDoUpdate({
      target: [signInCountries.userId, signInCountries.country],
      set: { lastSeenAt: sql`excluded.last_seen_at` },
      setWhere: lt(signInCountries.lastSeenAt, sign.since),
    });
  if (claimed.meta.changes === 0) return "known";
  return other ? "new" : "first";
}

/** Deletes at most `limit` countries last seen before `before`, in one statement (retention). */
export async function deleteSignInCountriesSeenBefore(db: Database, before: Date, limit: number): Promise<number> {
  const stale = db
    .select({ rowid: sql`rowid` })
    .from(signInCountries)
    .where(lt(signInCountries.lastSeenAt, before))
    .limit(limit);
  const result = await db.delete(signInCountries).where(sql`rowid IN ${stale}`);
  return result.meta.changes;
}

/** The account's countries, for the export (one row per country: a few hundred at most). */
export async function listSignInCountries(db: Database, userId: string) {
  return db
    .select({ country: signInCountries.country, lastSeenAt: signInCountries.lastSeenAt })
    .from(signInCountries)
    .where(eq(signInCountries.userId, userId))
    .orderBy(signInCountries.country);
}
