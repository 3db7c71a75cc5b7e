import { and, desc, eq } from "drizzle-orm";
import type { Database } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { comments } from "./schema";

/** Comments of an image the caller was already allowed to see (the image lookup is the tenant check). */
export async function listComments(
  db: Database,
  imageId: string,
  page: { limit: number; after?: CursorPosition | undefined },
) {
  return db
    .select()
    .from(comments)
    .where(and(eq(comments.imageId, imageId), afterCursor(comments, page.after)))
    .orderBy(desc(comments.createdAt), desc(comments.id))
    .limit(page.limit);
}

export async function insertComment(db: Database, comment: typeof comments.$inferInsert) {
  const [row] = await db.insert(comments).values(comment).returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}
