import { and, desc, eq, isNull } from "drizzle-orm";
import type { Database } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { type Collection, collectionImages, collections, images } from "./schema";
import { ownedBy, visibleTo } from "./tenancy";

export async function insertCollection(db: Database, collection: typeof collections.$inferInsert) {
  const [row] = await db.insert(collections).values(collection).returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function findVisibleCollection(db: Database, callerId: string, collectionId: string) {
  return db.query.collections.findFirst({
    where: and(eq(collections.id, collectionId), visibleTo(db, collections, callerId)),
  });
}

export async function listCollections(
  db: Database,
  callerId: string,
  filter: { teamId: string | null; limit: number; after?: CursorPosition | undefined },
) {
  return db
    .select()
    .from(collections)
    .where(and(ownedBy(db, collections, callerId, filter.teamId), afterCursor(collections, filter.after)))
    .orderBy(desc(collections.createdAt), desc(collections.id))
    .limit(filter.limit);
}

/** The live images of a collection, newest added first (soft-deleted ones are hidden). */
export async function listCollectionImageIds(db: Database, collectionId: string): Promise<string[]> {
  const rows = await db
    .select({ id: collectionImages.imageId })
    .from(collectionImages)
    .innerJoin(images, eq(images.id, collectionImages.imageId))
    .where(and(eq(collectionImages.collectionId, collectionId), isNull(images.deletedAt)))
    .orderBy(desc(collectionImages.addedAt))
    .limit(1000);
  return rows.map((row) => row.id);
}

export async function renameCollection(
  db: Database,
  collectionId: string,
  name: string,
): Promise<Collection | undefined> {
  const [row] = await db
    .update(collections)
    .set({ name, updatedAt: new Date() })
    .where(eq(collections.id, collectionId))
    .returning();
  return row;
}

export async function deleteCollection(db: Database, collectionId: string): Promise<void> {
  await db.delete(collections).where(eq(collections.id, collectionId));
}

export async function addImageToCollection(db: Database, collectionId: string, imageId: string): Promise<void> {
  await db.insert(collectionImages).values({ collectionId, imageId, addedAt: new Date() }).onConflictDoNothing();
}

export async function removeImageFromCollection(db: Database, collectionId: string, imageId: string): Promise<boolean> {
  const rows = await db
    .delete(collectionImages)
    .where(and(eq(collectionImages.collectionId, collectionId), eq(collectionImages.imageId, imageId)))
    .returning({ imageId: collectionImages.imageId });
  return rows.length > 0;
}
