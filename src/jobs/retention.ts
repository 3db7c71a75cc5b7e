import { CLOCK_SKEW_SECONDS, TOKEN_LIFETIME_SECONDS } from "../crypto/jwt";
import { deleteAuditRowsCreatedBefore } from "../db/audit";
import { database } from "../db/client";
import { deleteVerificationTokens, listVerificationTokenIdsExpiredBefore } from "../db/email-verification";
import { deleteImageRows, listImagesDeletedBefore, RESTORE_WINDOW_MS } from "../db/images";
import { deleteInvitationSends, INVITATION_WINDOW_MS, listInvitationSendIdsBefore } from "../db/invitations";
import { deleteOAuthStates, listOAuthStatesExpiredBefore } from "../db/oauth-states";
import { deleteMailsCreatedBefore, eraseUndeliveredMailTexts } from "../db/outbox";
import { deleteChallengesExpiredBefore } from "../db/passkeys";
import { deleteResetTokens, listResetTokenIdsExpiredBefore } from "../db/reset-tokens";
import { deleteSessions, listSessionIdsToForget } from "../db/sessions";
import { deleteSignInCountriesSeenBefore, NEW_COUNTRY_LOOKBACK_MS } from "../db/sign-in-countries";
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
/**
 * An undelivered mail's text goes when the token it carries dies (`text_expires_at`), and any
 * mail's after 7 days, the longest token lifetime (an invitation's).
 */
const UNDELIVERED_MAIL_TEXT_RETENTION_MS = 7 * DAY_MS;
/** The outbox is a delivery log, not an archive: subjects and errors are kept for 30 days. */
const OUTBOX_RETENTION_MS = 30 * DAY_MS;
/**
 * Rows per statement. The big tables delete through a subquery (one statement, two parameters);
 * the others list ids first, and D1 binds at most 100 parameters per statement.
 */
const BULK_BATCH = 1_000;
const ID_BATCH = 90;
/**
 * Wall-clock budget of one run. A Cron Trigger may run for 15 minutes; the run stops starting new
 * batches after this, reports `finished: false`, and the next run goes on where it stopped.
 */
export const RUN_BUDGET_MS = 5 * 60 * 1000;

export interface RetentionReport {
  /** False when the budget ran out first: the next run continues. */
  finished: boolean;
  auditRows: number;
  /** Undelivered mails whose text (a link) was erased, and mails deleted. */
  mailTextsErased: number;
  mails: number;
  images: number;
  /** Purge lists of deleted teams and erased accounts that their request could not finish. */
  imagePurges: number;
  resetTokens: number;
  verificationTokens: number;
  invitations: number;
  /** Invitation send records older than the caps' 24 h window. */
  invitationSends: number;
  sessions: number;
  stripeEvents: number;
  /** Sign-in flows started at a provider and never finished (10 minutes). */
  oauthStates: number;
  /** Passkey challenges past their 5 minutes (sign-ins and registrations never finished). */
  passkeyChallenges: number;
  /** Sign-in countries not seen for 30 days (the new-country notice looks no further back). */
  signInCountries: number;
}

/**
 * The retention run (hourly). Every step deletes in bounded batches until nothing is left or the
 * budget is spent, and is idempotent: image bytes go before their rows, so a run that dies
 * half-way leaves rows whose bytes the next run deletes again (a no-op in R2) before finishing.
 */
export async function runRetention(env: Bindings, now: Date, budgetMs = RUN_BUDGET_MS): Promise<RetentionReport> {
  const db = database(env.DB);
  const at = now.getTime();
  const deadline = Date.now() + budgetMs;
  let finished = true;

  /** Runs `step` (which removes at most `limit` rows and says how many) until it removes fewer. */
  async function drain(limit: number, step: (limit: number) => Promise<number>) {
    let total = 0;
    for (;;) {
      if (Date.now() >= deadline) {
        finished = false;
        return total;
      }
      const removed = await step(limit);
      total += removed;
      if (removed < limit) return total;
    }
  }
  const byIds = (select: (limit: number) => Promise<string[]>, remove: (ids: string[]) => Promise<unknown>) =>
    drain(ID_BATCH, async (limit) => {
      const ids = await select(limit);
      if (ids.length > 0) await remove(ids);
      return ids.length;
    });

  const auditRows = await drain(BULK_BATCH, (limit) =>
    deleteAuditRowsCreatedBefore(db, new Date(at - AUDIT_RETENTION_MS), limit),
  );
  const mailTextsErased = await drain(BULK_BATCH, (limit) =>
    eraseUndeliveredMailTexts(db, { now, before: new Date(at - UNDELIVERED_MAIL_TEXT_RETENTION_MS) }, limit),
  );
  const mails = await drain(BULK_BATCH, (limit) =>
    deleteMailsCreatedBefore(db, new Date(at - OUTBOX_RETENTION_MS), limit),
  );

  const purgedImages = await drain(ID_BATCH, async (limit) => {
    const rows = await listImagesDeletedBefore(db, new Date(at - RESTORE_WINDOW_MS), limit);
    if (rows.length === 0) return 0;
    await env.IMAGES.delete(rows.map((row) => row.r2Key));
    await deleteImageRows(
      db,
      rows.map((row) => row.id),
    );
    return rows.length;
  });

  const imagePurges = await sweepImagePurges(env.IMAGES, db, now);

  const resetTokens = await byIds(
    (limit) => listResetTokenIdsExpiredBefore(db, now, limit),
    (ids) => deleteResetTokens(db, ids),
  );
  const verificationTokens = await byIds(
    (limit) => listVerificationTokenIdsExpiredBefore(db, now, limit),
    (ids) => deleteVerificationTokens(db, ids),
  );
  const invitations = await byIds(
    (limit) => listInvitationIdsExpiredBefore(db, now, limit),
    (ids) => deleteInvitations(db, ids),
  );
  const invitationSends = await byIds(
    (limit) => listInvitationSendIdsBefore(db, new Date(at - INVITATION_WINDOW_MS), limit),
    (ids) => deleteInvitationSends(db, ids),
  );
  const expiredSessions = await byIds(
    (limit) => listSessionIdsToForget(db, { now, revokedBefore: new Date(at - REVOKED_SESSION_RETENTION_MS) }, limit),
    (ids) => deleteSessions(db, ids),
  );
  const processedStripeEvents = await byIds(
    (limit) => listStripeEventIdsReceivedBefore(db, new Date(at - STRIPE_EVENT_RETENTION_MS), limit),
    (ids) => deleteStripeEvents(db, ids),
  );
  const expiredOAuthStates = await byIds(
    (limit) => listOAuthStatesExpiredBefore(db, now, limit),
    (hashes) => deleteOAuthStates(db, hashes),
  );

  const passkeyChallenges = await drain(BULK_BATCH, (limit) => deleteChallengesExpiredBefore(db, now, limit));
  const signInCountries = await drain(BULK_BATCH, (limit) =>
    deleteSignInCountriesSeenBefore(db, new Date(at - NEW_COUNTRY_LOOKBACK_MS), limit),
  );

  return {
    finished,
    auditRows,
    mailTextsErased,
    mails,
    images: purgedImages,
    imagePurges,
    resetTokens,
    verificationTokens,
    invitations,
    invitationSends,
    sessions: expiredSessions,
    stripeEvents: processedStripeEvents,
    oauthStates: expiredOAuthStates,
    passkeyChallenges,
    signInCountries,
  };
}
