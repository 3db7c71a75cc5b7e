import { and, inArray, isNotNull, lt, or } from "drizzle-orm";
import { CLOCK_SKEW_SECONDS, TOKEN_LIFETIME_SECONDS } from "../crypto/jwt";
import { database } from "../db/client";
import { RESTORE_WINDOW_MS } from "../db/images";
import { auditLog, images, passwordResetTokens, sessions, stripeEvents, teamInvitations } from "../db/schema";
import type { Bindings } from "../env";
import { sweepImagePurges } from "../services/image-purge";

const DAY_MS = 24 * 60 * 60 * 1000;
export const AUDIT_RETENTION_MS = 365 * DAY_MS;
/** Stripe retries for up to three days, and the webhook refuses any delivery signed over 300 s ago. */
const STRIPE_EVENT_RETENTION_MS = 7 * DAY_MS;
/** A revoked session row is kept until every token it ever issued has expired. */
const REVOKED_SESSION_RETENTION_MS = (TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) * 1000;
const BATCH = 200;
const MAX_BATCHES_PER_TABLE = 25;

export interface RetentionReport {
  auditRows: number;
  images: number;
  /** Purge lists of deleted teams and erased accounts that their request could not finish. */
  imagePurges: number;
  resetTokens: number;
  invitations: number;
  sessions: number;
  stripeEvents: number;
}

/**
 * The daily retention run. Every step deletes in bounded batches and is idempotent: image
 * bytes go before their rows, so a run that dies half-way leaves rows whose bytes the next run
 * deletes again (a no-op in R2) before finishing. What a run does not reach, the next one does.
 */
export async function runRetention(env: Bindings, now: Date): Promise<RetentionReport> {
  const db = database(env.DB);
  const at = now.getTime();

  async function deleteInBatches(select: () => Promise<string[]>, remove: (ids: string[]) => Promise<unknown>) {
    let total = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_TABLE; batch++) {
      const ids = await select();
      if (ids.length === 0) break;
      await remove(ids);
      total += ids.length;
      if (ids.length < BATCH) break;
    }
    return total;
  }

  const auditRows = await deleteInBatches(
    async () =>
      (
        await db
          .select({ id: auditLog.id })
          .from(auditLog)
          .where(lt(auditLog.createdAt, new Date(at - AUDIT_RETENTION_MS)))
          .limit(BATCH)
      ).map((row) => row.id),
    (ids) => db.delete(auditLog).where(inArray(auditLog.id, ids)),
  );

  const purgedImages = await deleteInBatches(
    async () => {
      const rows = await db
        .select({ id: images.id, r2Key: images.r2Key })
        .from(images)
        .where(and(isNotNull(images.deletedAt), lt(images.deletedAt, new Date(at - RESTORE_WINDOW_MS))))
        .limit(BATCH);
      if (rows.length > 0) await env.IMAGES.delete(rows.map((row) => row.r2Key));
      return rows.map((row) => row.id);
    },
    (ids) => db.delete(images).where(inArray(images.id, ids)),
  );

  const imagePurges = await sweepImagePurges(env.IMAGES, db, now);

  const resetTokens = await deleteInBatches(
    async () =>
      (
        await db
          .select({ id: passwordResetTokens.id })
          .from(passwordResetTokens)
          .where(lt(passwordResetTokens.expiresAt, now))
          .limit(BATCH)
      ).map((row) => row.id),
    (ids) => db.delete(passwordResetTokens).where(inArray(passwordResetTokens.id, ids)),
  );

  const invitations = await deleteInBatches(
    async () =>
      (
        await db
          .select({ id: teamInvitations.id })
          .from(teamInvitations)
          .where(lt(teamInvitations.expiresAt, now))
          .limit(BATCH)
      ).map((row) => row.id),
    (ids) => db.delete(teamInvitations).where(inArray(teamInvitations.id, ids)),
  );

  const expiredSessions = await deleteInBatches(
    async () =>
      (
        await db
          .select({ id: sessions.id })
          .from(sessions)
          .where(
            or(
              lt(sessions.expiresAt, now),
              and(isNotNull(sessions.revokedAt), lt(sessions.revokedAt, new Date(at - REVOKED_SESSION_RETENTION_MS))),
            ),
          )
          .limit(BATCH)
      ).map((row) => row.id),
    (ids) => db.delete(sessions).where(inArray(sessions.id, ids)),
  );

  const processedStripeEvents = await deleteInBatches(
    async () =>
      (
        await db
          .select({ id: stripeEvents.id })
          .from(stripeEvents)
          .where(lt(stripeEvents.receivedAt, new Date(at - STRIPE_EVENT_RETENTION_MS)))
          .limit(BATCH)
      ).map((row) => row.id),
    (ids) => db.delete(stripeEvents).where(inArray(stripeEvents.id, ids)),
  );

  return {
    auditRows,
    images: purgedImages,
    imagePurges,
    resetTokens,
    invitations,
    sessions: expiredSessions,
    stripeEvents: processedStripeEvents,
  };
}
