import { admitToWindow } from "./sliding-window";

/**
 * Per-IP login throttle (API.md "Login"): at most 5 failed logins in any rolling hour, and after
 * the n-th consecutive failure the next attempt waits 2^n seconds (OWASP ASVS 5.0 V6.3.1).
 *
 * An attempt takes its place in the hourly window when it is ADMITTED, before the password is
 * checked, and gives it back if it succeeds. So concurrent attempts cannot all pass the check
 * before any is recorded (at most 5 are ever in flight or failed), and an attempt whose outcome
 * is never reported stays counted. The backoff follows confirmed failures only, so a few
 * simultaneous logins from one address (an office behind NAT) are not refused for each other.
 */
export const LOGIN_FAILURE_WINDOW = { limit: 5, windowMs: 60 * 60 * 1000 };

export interface IpLoginState {
  /** Times of failed (or still running) attempts within the last hour. */
  failures: number[];
  consecutiveFailures: number;
  lastFailureAt: number | null;
}

export const initialIpLoginState: IpLoginState = { failures: [], consecutiveFailures: 0, lastFailureAt: null };

export type IpAttemptDecision =
  | { admitted: true; state: IpLoginState; attemptAt: number }
  | { admitted: false; retryAfterMs: number };

export function backoffMs(consecutiveFailures: number): number {
  return consecutiveFailures === 0 ? 0 : 2 ** consecutiveFailures * 1000;
}

export function beginIpLoginAttempt(state: IpLoginState, now: number): IpAttemptDecision {
  const backoffEndsAt = state.lastFailureAt === null ? 0 : state.lastFailureAt + backoffMs(state.consecutiveFailures);
  const window = admitToWindow(state.failures, now, LOGIN_FAILURE_WINDOW);
  const waits = [backoffEndsAt - now, window.admitted ? 0 : window.retryAfterMs];
  const retryAfterMs = Math.max(...waits);
  if (retryAfterMs > 0) return { admitted: false, retryAfterMs };
  return { admitted: true, attemptAt: now, state: { ...state, failures: window.events } };
}

export type AttemptOutcome = "success" | "failure" | "cancelled";

/**
 * Settles an admitted attempt. A failure extends the consecutive run and starts its backoff
 * from the moment it was answered. A success takes its own place in the window back and ends
 * the run, but leaves the other failures of the hour: one valid account must not let an IP keep
 * guessing others. A cancelled attempt (refused by the account lock, so no password was
 * checked) just gives its place back.
 */
export function settleIpLoginAttempt(
  state: IpLoginState,
  attemptAt: number,
  outcome: AttemptOutcome,
  now: number,
): IpLoginState {
  if (outcome === "failure") {
    return {
      ...state,
      consecutiveFailures: state.consecutiveFailures + 1,
      lastFailureAt: Math.max(state.lastFailureAt ?? 0, now),
    };
  }
  const index = state.failures.indexOf(attemptAt);
  const failures = index === -1 ? state.failures : state.failures.filter((_, position) => position !== index);
  if (outcome === "success") return { failures, consecutiveFailures: 0, lastFailureAt: null };
  return { ...state, failures };
}

/**
 * From when nothing in the state can refuse an attempt any more (it may then be dropped, and the
 * consecutive run with it): the end of the backoff or of the hour of the latest failure, whichever
 * is later; -Infinity when it holds neither.
 */
export function ipLoginStateEndsAt(state: IpLoginState): number {
  const backoffEndsAt =
    state.lastFailureAt === null
      ? Number.NEGATIVE_INFINITY
      : state.lastFailureAt + backoffMs(state.consecutiveFailures);
  return Math.max(backoffEndsAt, ...state.failures.map((at) => at + LOGIN_FAILURE_WINDOW.windowMs));
}
