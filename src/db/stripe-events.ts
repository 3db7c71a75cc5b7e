import { eq, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "./client";
import { stripeEvents, stripeSubscriptions } from "./schema";

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

export interface SubscriptionEventOrder {
  subscriptionId: string;
  eventId: string;
  /** Stripe's `created` of the event, unix seconds. */
  created: number;
  grantsPro: boolean;
  deleted: boolean;
}

/**
 * Records a subscription event as the latest applied one, if it is: true when it should be
 * applied. One statement, so two events racing for one subscription cannot both win.
 *
 * - A newer `created` applies; an older one never undoes a newer one.
 * - Equal `created` (Stripe's clock has one-second steps, and `created` + `updated` often share
 *   one): the event applies only if it grants nothing (fail closed: a tie never makes a user pro
 *   over a withdrawal; Stripe's next event settles it), or if it is the very event applied last
 *   (Stripe's retry of an event whose handling failed after this row was written).
 * - A deleted subscription is final: Stripe never revives one, so nothing applies after it.
 */
export async function claimSubscriptionEvent(db: Database, event: SubscriptionEventOrder): Promise<boolean> {
  const rows = await db
    .insert(stripeSubscriptions)
    .values({
      id: event.subscriptionId,
      lastEventCreated: event.created,
      lastEventId: event.eventId,
      grantsPro: event.grantsPro,
      deleted: event.deleted,
    })
    .onConflictDoUpdate({
      target: stripeSubscriptions.id,
      set: {
        lastEventCreated: sql`excluded.last_event_created`,
        lastEventId: sql`excluded.last_event_id`,
        grantsPro: sql`excluded.grants_pro`,
        deleted: sql`excluded.deleted`,
      },
      setWhere: sql`(${stripeSubscriptions.deleted} = 0 AND (
          excluded.last_event_created > ${stripeSubscriptions.lastEventCreated}
          OR (excluded.last_event_created = ${stripeSubscriptions.lastEventCreated} AND excluded.grants_pro = 0)))
        OR excluded.last_event_id = ${stripeSubscriptions.lastEventId}`,
    })
    .returning({ id: stripeSubscriptions.id });
  return rows.length === 1;
}
