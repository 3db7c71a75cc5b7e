import { and, desc, eq } from "drizzle-orm";
import type { Database } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { type Image, images, type License, licenses } from "./schema";

/**
 * Inserts a licence unless one exists for its checkout session already (Stripe may deliver a
 * purchase more than once, under more than one event). Returns the row, or undefined if it existed.
 */
export async function insertLicense(db: Database, license: License): Promise<License | undefined> {
  const [row] = await db
    .insert(licenses)
    .values(license)
    .onConflictDoNothing({ target: licenses.stripeCheckoutSessionId })
    .returning();
  return row;
}

/** The caller's licences, newest first; a licence belongs to its buyer alone (no team sharing). */
/** A page of the user's licences, newest first. */
export async function listLicenses(
  db: Database,
  userId: string,
  page: { limit: number; after?: CursorPosition | undefined },
): Promise<License[]> {
  return db
    .select()
    .from(licenses)
    .where(and(eq(licenses.userId, userId), afterCursor(licenses, page.after)))
    .orderBy(desc(licenses.createdAt), desc(licenses.id))
    .limit(page.limit);
}

/** The image if it exists and `userId` created it: a purchase never links someone else's image. */
export async function findImageOfUser(db: Database, userId: string, imageId: string): Promise<Image | undefined> {
  return db.query.images.findFirst({ where: and(eq(images.id, imageId), eq(images.userId, userId)) });
}
