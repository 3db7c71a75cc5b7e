import type { AlertKind } from "./alert-observation";

/** One kind and subject alert at most once in this span (API.md "Alerts"). */
export const ALERT_DEDUP_WINDOW_MS = 10 * 60 * 1000;
/**
 * A ceiling on the alerts raised in one dedup window. Reaching it is itself the alarm (500 alerts
 * in 10 minutes); beyond it the desk raises nothing new, so a storm of distinct subjects can
 * neither flood the receiver nor push recent alerts (and their de-duplication) out of storage.
 */
export const MAX_ALERTS_PER_WINDOW = 500;
/** How many alerts the desk keeps at most; the oldest go first (never one of the current window). */
export const MAX_STORED_ALERTS = 1000;
/** How long an alert is kept for /dev/alerts and the record. */
export const ALERT_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

/** Attempts to POST an alert before it is given up as `failed`. */
export const MAX_DELIVERY_ATTEMPTS = 8;
const FIRST_RETRY_DELAY_MS = 30 * 1000;

/**
 * How long to wait after the `failedAttempts`-th failed POST before the next: 30 s, 1 min,
 * 2 min … doubling (about an hour from the first attempt to the eighth), or null when that was
 * the last attempt.
 */
export function retryDelayMs(failedAttempts: number): number | null {
  if (failedAttempts >= MAX_DELIVERY_ATTEMPTS) return null;
  return FIRST_RETRY_DELAY_MS * 2 ** (failedAttempts - 1);
}

/**
 * pending: to be POSTed (again); delivered: the hook answered 2xx; failed: every attempt failed;
 * unsent: no ALERT_WEBHOOK_URL was set when it was raised (kept and listed only).
 */
export type AlertDeliveryStatus = "pending" | "delivered" | "failed" | "unsent";

/** The JSON body POSTed to the hook: what was seen, nothing from any request and no secret. */
export interface AlertBody {
  id: string;
  kind: AlertKind;
  subject: string;
  observed: number;
  threshold: number;
  /** Start of the minute in which the threshold was passed. */
  minute: string;
  raisedAt: string;
  environment: string;
}

/** An alert as the desk lists it: its body and how its delivery went (`lastError`: "HTTP 500", "timeout" …). */
export type AlertRecord = AlertBody & { status: AlertDeliveryStatus; attempts: number; lastError: string | null };
