import * as z from "zod";
import { randomToken } from "../crypto/random";
import type { Database } from "../db/client";
import { findReferencedImageKeys } from "../db/images";

/**
 * Deleting image bytes together with their rows. R2 and D1 share no transaction, so the bytes
 * are never deleted before the rows are: a failed D1 commit then leaves every image whole. The
 * keys are first written to a purge list in R2 (`purge/<id>`); after the commit the bytes and the
 * list are deleted; a list that outlives its request (R2 failed after the commit, or the commit
 * itself failed) is finished by the daily retention sweep, which deletes only the bytes that no
 * image row references any more.
 */
const PURGE_PREFIX = "purge/";
/** A list younger than this may belong to a request still on its way to the commit. */
const SWEEP_AFTER_MS = 60 * 60 * 1000;
const KEYS_PER_DELETE = 1000;
const LISTS_PER_SWEEP = 100;
const purgeListSchema = z.array(z.string().startsWith("images/"));

export interface ImagePurge {
  listKey: string;
  keys: string[];
}

/** Records what is about to go; call before the D1 commit that deletes the rows. */
export async function queueImagePurge(bucket: R2Bucket, keys: string[]): Promise<ImagePurge | null> {
  if (keys.length === 0) return null;
  const listKey = `${PURGE_PREFIX}${randomToken(16)}`;
  await bucket.put(listKey, JSON.stringify(keys), { httpMetadata: { contentType: "application/json" } });
  return { listKey, keys };
}

async function deleteKeys(bucket: R2Bucket, keys: string[]) {
  for (let start = 0; start < keys.length; start += KEYS_PER_DELETE) {
    await bucket.delete(keys.slice(start, start + KEYS_PER_DELETE));
  }
}

/**
 * Deletes the bytes once their rows are committed gone. A failure here does not fail the
 * request (the change it reports has been made); the list stays for the sweep.
 */
export async function purgeAfterCommit(bucket: R2Bucket, purge: ImagePurge | null): Promise<void> {
  if (!purge) return;
  try {
    await deleteKeys(bucket, purge.keys);
    await bucket.delete(purge.listKey);
  } catch (error) {
    console.error(
      `image purge ${purge.listKey} left for the sweep: ${error instanceof Error ? error.name : "unknown"}`,
    );
  }
}

/** Finishes purge lists left behind by earlier requests. Idempotent; returns the lists done. */
export async function sweepImagePurges(bucket: R2Bucket, db: Database, now: Date): Promise<number> {
  const listed = await bucket.list({ prefix: PURGE_PREFIX, limit: LISTS_PER_SWEEP });
  let finished = 0;
  for (const entry of listed.objects) {
    if (entry.uploaded.getTime() > now.getTime() - SWEEP_AFTER_MS) continue;
    const object = await bucket.get(entry.key);
    let keys: string[] = [];
    try {
      keys = purgeListSchema.parse(object ? JSON.parse(await object.text()) : []);
    } catch {
      // Kept for an operator to look at: deleting it would silently drop the bytes it names.
      console.error(`image purge ${entry.key} is unreadable`);
      continue;
    }
    const referenced = await findReferencedImageKeys(db, keys);
    await deleteKeys(
      bucket,
      keys.filter((key) => !referenced.has(key)),
    );
    await bucket.delete(entry.key);
    finished += 1;
  }
  return finished;
}
