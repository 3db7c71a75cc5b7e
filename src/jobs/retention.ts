import { CLOCK_SKEW_SECONDS, TOKEN_LIFETIME_SECONDS } from "../crypto/jwt";
import { deleteAuditRows, listAuditRowIdsCreatedBefore } from "../db/audit";
import { database } from "../db/client";
import { deleteVerificationTokens, listVerificationTokenIdsExpiredBefore } from "../db/email-verification";
import { deleteImageRows, listImagesDeletedBefore, RESTORE_WINDOW_MS } from "../db/images";
import { deleteResetTokens, listResetTokenIdsExpiredBefore } from "../db/reset-tokens";
import { deleteSessions, listSessionIdsToForget } from "../db/sessions";
import { deleteStripeEvents, listStripeEventIdsReceivedBefore } from "../db/stripe-events";
import { deleteInvitations, listInvitationIdsExpiredBefore } from "../db/teams";
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
  verificationTokens: number;
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
    () => listAuditRowIdsCreatedBefore(db, new Date(at - AUDIT_RETENTION_MS), BATCH),
    (ids) => deleteAuditRows(db, ids),
  );

  const purgedImages = await deleteInBatches(
    async () => {
      const rows = await listImagesDeletedBefore(db, new Date(at - RESTORE_WINDOW_MS), BATCH);
      if (rows.length > 0) await env.IMAGES.delete(rows.map((row) => row.r2Key));
      return rows.map((row) => row.id);
    },
    (ids) => deleteImageRows(db, ids),
  );

  const imagePurges = await sweepImagePurges(env.IMAGES, db, now);

  const resetTokens = await deleteInBatches(
    () => listResetTokenIdsExpiredBefore(db, now, BATCH),
    (ids) => deleteResetTokens(db, ids),
  );

  const verificationTokens = await deleteInBatches(
    () => listVerificationTokenIdsExpiredBefore(db, now, BATCH),
    (ids) => deleteVerificationTokens(db, ids),
  );

  const invitations = await deleteInBatches(
    () => listInvitationIdsExpiredBefore(db, now, BATCH),
    (ids) => deleteInvitations(db, ids),
  );

  const expiredSessions = await deleteInBatches(
    () => listSessionIdsToForget(db, { now, revokedBefore: new Date(at - REVOKED_SESSION_RETENTION_MS) }, BATCH),
    (ids) => deleteSessions(db, ids),
  );

  const processedStripeEvents = await deleteInBatches(
    () => listStripeEventIdsReceivedBefore(db, new Date(at - STRIPE_EVENT_RETENTION_MS), BATCH),
    (ids) => deleteStripeEvents(db, ids),
  );

  return {
    auditRows,
    images: purgedImages,
    imagePurges,
    resetTokens,
    verificationTokens,
    invitations,
    sessions: expiredSessions,
    stripeEvents: processedStripeEvents,
  };
}
