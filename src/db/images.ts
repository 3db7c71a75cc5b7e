import { and, count, desc, eq, getTableColumns, gt, inArray, isNotNull, isNull, lt, sql, sum } from "drizzle-orm";
import type { ImageQuota } from "../domain/plans";
import type { auditEventInsert } from "./audit";
import type { Database } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { type Image, images } from "./schema";
import { ownedBy, visibleTo } from "./tenancy";

export const RESTORE_WINDOW_MS = 30 * 24 * 60 * 60 * 1000;

export async function insertImage(db: Database, image: typeof images.$inferInsert): Promise<Image> {
  const [row] = await db.insert(images).values(image).returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

/** What the account holds against its quota: every image it created, soft-deleted ones included. */
export async function imageUsage(db: Database, userId: string): Promise<{ images: number; bytes: number }> {
  const [row] = await db
    .select({ images: count(), bytes: sum(images.byteSize) })
    .from(images)
    .where(eq(images.userId, userId));
  return { images: row?.images ?? 0, bytes: Number(row?.bytes ?? 0) };
}

/**
 * Inserts the image only if it still fits the creator's quota when the statement runs (INSERT …
 * SELECT … WHERE): D1 runs statements one at a time, so concurrent generations cannot together
 * pass the quota. Returns undefined when it did not fit.
 */
export async function insertImageWithinQuota(
  db: Database,
  image: typeof images.$inferInsert,
  quota: ImageQuota,
): Promise<Image | undefined> {
  const held = sql`(SELECT count(*) AS held, coalesce(sum(${images.byteSize}), 0) AS bytes FROM ${images}
    WHERE ${images.userId} = ${image.userId})`;
  // drizzle names every column in table order; each value is encoded by its column, in that order.
  const values = Object.entries(getTableColumns(images)).map(([key, column]) =>
    sql.param(image[key as keyof typeof image] ?? null, column),
  );
  const [row] = await db
    .insert(images)
    .select(
      sql`SELECT ${sql.join(values, sql`, `)} FROM ${held} AS usage
        WHERE usage.held + 1 <= ${quota.images} AND usage.bytes + ${image.byteSize} <= ${quota.bytes}`,
    )
    .returning();
  return row;
}

/** A live image the caller may see (own, or of one of their teams); soft-deleted ones are gone. */
export async function findVisibleImage(db: Database, callerId: string, imageId: string): Promise<Image | undefined> {
  return db.query.images.findFirst({
    where: and(eq(images.id, imageId), isNull(images.deletedAt), visibleTo(db, images, callerId)),
  });
}

/** A soft-deleted image the caller may see, still inside its 30-day restore window. */
export async function findRestorableImage(db: Database, callerId: string, imageId: string, now: Date) {
  return db.query.images.findFirst({
    where: and(
      eq(images.id, imageId),
      isNotNull(images.deletedAt),
      gt(images.deletedAt, new Date(now.getTime() - RESTORE_WINDOW_MS)),
      visibleTo(db, images, callerId),
    ),
  });
}

export async function listImages(
  db: Database,
  callerId: string,
  filter: { teamId: string | null; limit: number; after?: CursorPosition | undefined },
) {
  return db
    .select()
    .from(images)
    .where(
      and(ownedBy(db, images, callerId, filter.teamId), isNull(images.deletedAt), afterCursor(images, filter.after)),
    )
    .orderBy(desc(images.createdAt), desc(images.id))
    .limit(filter.limit);
}

/** The update that soft-deletes an image, not yet run (for the batch with its audit row). */
export function imageSoftDeleteUpdate(db: Database, imageId: string, now: Date) {
  return db.update(images).set({ deletedAt: now, updatedAt: now }).where(eq(images.id, imageId));
}

/** Changes the image; with `auditRow`, in one batch with it (both or neither). */
export async function updateImage(
  db: Database,
  imageId: string,
  changes: Partial<Pick<Image, "title" | "prompt" | "deletedAt">>,
  auditRow?: ReturnType<typeof auditEventInsert>,
) {
  const update = db
    .update(images)
    .set({ ...changes, updatedAt: new Date() })
    .where(eq(images.id, imageId))
    .returning();
  const [rows] = auditRow ? await db.batch([update, auditRow]) : [await update];
  return rows[0];
}

export async function listTeamImageKeys(db: Database, teamId: string): Promise<string[]> {
  const rows = await db.select({ r2Key: images.r2Key }).from(images).where(eq(images.teamId, teamId));
  return rows.map((row) => row.r2Key);
}

/** Soft-deleted images whose deletion is older than `before`, at most `limit` (retention). */
export async function listImagesDeletedBefore(
  db: Database,
  before: Date,
  limit: number,
): Promise<{ id: string; r2Key: string }[]> {
  return db
    .select({ id: images.id, r2Key: images.r2Key })
    .from(images)
    .where(and(isNotNull(images.deletedAt), lt(images.deletedAt, before)))
    .limit(limit);
}

export async function deleteImageRows(db: Database, ids: string[]): Promise<void> {
  await db.delete(images).where(inArray(images.id, ids));
}

// D1 binds at most 100 parameters per statement.
const KEYS_PER_QUERY = 90;

/** The R2 keys among `keys` that an image row still references (its deletion was not committed). */
export async function findReferencedImageKeys(db: Database, keys: string[]): Promise<Set<string>> {
  const referenced = new Set<string>();
  for (let start = 0; start < keys.length; start += KEYS_PER_QUERY) {
    const rows = await db
      .select({ key: images.r2Key })
      .from(images)
      .where(inArray(images.r2Key, keys.slice(start, start + KEYS_PER_QUERY)));
    for (const row of rows) referenced.add(row.key);
  }
  return referenced;
}
