import { eq, inArray, lt } from "drizzle-orm";
import type { Database } from "./client";
import { stripeEvents } from "./schema";

/**
 * Records a Stripe event id; true the first time it is seen, false for a replay. One statement,
 * so two concurrent deliveries of the same event cannot both be told they are first.
 */
export async function recordStripeEvent(db: Database, id: string, type: string, now: Date): Promise<boolean> {
  const rows = await db
    .insert(stripeEvents)
    .values({ id, type, receivedAt: now })
    .onConflictDoNothing({ target: stripeEvents.id })
    .returning({ id: stripeEvents.id });
  return rows.length === 1;
}

/** Forgets an event whose handling failed, so that Stripe's retry of it is processed, not skipped. */
export async function forgetStripeEvent(db: Database, id: string): Promise<void> {
  await db.delete(stripeEvents).where(eq(stripeEvents.id, id));
}

/** Ids of Stripe events received before `before`, at most `limit` (retention). */
export async function listStripeEventIdsReceivedBefore(db: Database, before: Date, limit: number): Promise<string[]> {
  const rows = await db
    .select({ id: stripeEvents.id })
    .from(stripeEvents)
    .where(lt(stripeEvents.receivedAt, before))
    .limit(limit);
  return rows.map((row) => row.id);
}

export async function deleteStripeEvents(db: Database, ids: string[]): Promise<void> {
  await db.delete(stripeEvents).where(inArray(stripeEvents.id, ids));
}
