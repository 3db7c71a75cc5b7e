import { and, desc, eq, gt, isNull, lte, or, type SQL, sql } from "drizzle-orm";
import type { Database } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { type ApiKey, apiKeys } from "./schema";

export const MAX_LIVE_KEYS = 50;

/** Not revoked (or revocation still ahead) and not expired, at `now`. */
const liveAt = (now: Date) =>
  and(
    or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, now)),
    or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, now)),
  );

/**
 * Inserts a key unless the user already has MAX_LIVE_KEYS live ones. Live means usable now: a
 * rolled key still in its grace period counts (it used not to, so rolls with grace grew a
 * user's keys past the cap); only `replacing`, a key a roll without grace ends at once, does
 * not. The count is part of the statement, so concurrent creations cannot overshoot the cap.
 * Returns false when full.
 */
export async function insertApiKeyWithinCap(
  db: Database,
  key: ApiKey,
  now: Date,
  replacing?: string,
): Promise<boolean> {
  const result = await db.run(sql`
    INSERT INTO ${apiKeys} (id, user_id, name, key_hash, prefix, last_four, scopes, allowed_ips, created_at, expires_at, last_used_at, revoked_at, rolled_from)
    SELECT ${key.id}, ${key.userId}, ${key.name}, ${key.keyHash}, ${key.prefix}, ${key.lastFour}, ${JSON.stringify(key.scopes)},
      ${key.allowedIps === null ? null : JSON.stringify(key.allowedIps)}, ${key.createdAt.getTime()}, ${key.expiresAt?.getTime() ?? null},
      NULL, NULL, ${key.rolledFrom}
    WHERE (SELECT count(*) FROM ${apiKeys} WHERE ${apiKeys.userId} = ${key.userId} AND ${liveAt(now)}
      AND ${apiKeys.id} <> ${replacing ?? ""}) < ${MAX_LIVE_KEYS}`);
  return result.meta.changes === 1;
}

/** The key with this hash, whatever its state: the caller decides (revoked, expired, allowed). */
export async function findApiKeyByHash(db: Database, keyHash: string): Promise<ApiKey | undefined> {
  return db.query.apiKeys.findFirst({ where: eq(apiKeys.keyHash, keyHash) });
}

export async function findOwnApiKey(db: Database, userId: string, keyId: string): Promise<ApiKey | undefined> {
  return db.query.apiKeys.findFirst({ where: and(eq(apiKeys.id, keyId), eq(apiKeys.userId, userId)) });
}

/**
 * How long a revoked or expired key stays in the list: long enough to see what happened to it,
 * short enough that revoked keys do not make the list grow for ever (API.md "Lists").
 */
export const ENDED_KEY_LISTED_MS = 30 * 24 * 60 * 60 * 1000;

/** A page of the user's keys, newest first: live ones, and those revoked or expired in the last 30 days. */
export async function listApiKeys(
  db: Database,
  userId: string,
  page: { now: Date; limit: number; after?: CursorPosition | undefined },
): Promise<ApiKey[]> {
  const listedSince = new Date(page.now.getTime() - ENDED_KEY_LISTED_MS);
  return db
    .select()
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.userId, userId),
        or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, listedSince)),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, listedSince)),
        afterCursor(apiKeys, page.after),
      ),
    )
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(page.limit);
}

/** The update that sets when the key stops working (never later than an earlier revocation), not yet run. */
export function apiKeyRevocationUpdate(db: Database, userId: string, keyId: string, at: Date) {
  return db
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(
      and(eq(apiKeys.id, keyId), eq(apiKeys.userId, userId), or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, at))),
    );
}

/** Removes a key that was never shown to anyone (a roll that failed after issuing it). */
export async function deleteUnissuedApiKey(db: Database, userId: string, keyId: string): Promise<void> {
  await db.delete(apiKeys).where(and(eq(apiKeys.id, keyId), eq(apiKeys.userId, userId)));
}

/**
 * The update that ends, in ONE statement whatever their number, every key of the user created
 * at or before the guard's cut-off and still live at `now` (a key in a roll's grace period
 * included), not yet run: the D1 side of `UserGuard.revokeIssuedBeforeNow`.
 */
export function apiKeysCutOffUpdate(db: Database, userId: string, cut: { cutOff: number; now: Date }, onlyIf?: SQL) {
  return db
    .update(apiKeys)
    .set({ revokedAt: cut.now })
    .where(
      and(
        eq(apiKeys.userId, userId),
        lte(apiKeys.createdAt, new Date(cut.cutOff)),
        or(isNull(apiKeys.revokedAt), gt(apiKeys.revokedAt, cut.now)),
        onlyIf,
      ),
    );
}

/** Conditional, so that concurrent isolates write last-used at most once a minute between them. */
export async function touchApiKey(db: Database, keyId: string, now: Date, minIntervalMs: number): Promise<void> {
  await db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(
      and(
        eq(apiKeys.id, keyId),
        or(isNull(apiKeys.lastUsedAt), sql`${apiKeys.lastUsedAt} < ${now.getTime() - minIntervalMs}`),
      ),
    );
}

/** Name and display parts (never the hash) of the user's live keys, for the owner's notices. */
export async function listLiveApiKeyNotices(
  db: Database,
  userId: string,
  now: Date,
): Promise<{ name: string; prefix: string; lastFour: string }[]> {
  return db
    .select({ name: apiKeys.name, prefix: apiKeys.prefix, lastFour: apiKeys.lastFour })
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), liveAt(now)))
    .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
    .limit(MAX_LIVE_KEYS * 2);
}
