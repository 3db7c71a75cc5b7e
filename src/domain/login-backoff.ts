import { admitToWindow } from "./sliding-window";

/**
 * Per-IP login throttle (API.md "Login"): at most 5 failed logins in any rolling hour, and after
 * the n-th consecutive failure the next attempt waits 2^n seconds (OWASP ASVS 5.0 V6.3.1), never
 * more than an hour.
 *
 * An attempt takes its place in the hourly window when it is ADMITTED, before the password is
 * checked, and gives it back if it succeeds. So concurrent attempts cannot all pass the check
 * before any is recorded (at most 5 are ever in flight or failed), and an attempt whose outcome
 * is never reported stays counted. The backoff follows confirmed failures only, so a few
 * simultaneous logins from one address (an office behind NAT) are not refused for each other.
 *
 * The same rules hold for the client's network (its /24, or /48 for IPv6) with 10× the numbers:
 * 50 failures an hour, and one doubling of the wait per 10 consecutive failures. A /48 holds
 * 65,536 /64s, each of which the per-address rule counts as one client; the network rule is what
 * makes rotating through them pointless.
 */
export interface LoginThrottle {
  /** Failed (or still running) attempts allowed in any rolling window. */
  limit: number;
  windowMs: number;
  /** Consecutive failures per doubling of the wait: the wait is 2^⌊n / this⌋ s. */
  failuresPerDoubling: number;
}

export const ADDRESS_LOGIN_THROTTLE: LoginThrottle = { limit: 5, windowMs: 60 * 60 * 1000, failuresPerDoubling: 1 };
export const NETWORK_LOGIN_THROTTLE: LoginThrottle = { limit: 50, windowMs: 60 * 60 * 1000, failuresPerDoubling: 10 };

/**
 * The longest wait one failure chain can impose. Without a cap, one failure per period keeps a
 * shared address (an office NAT, a carrier's CGNAT) refused for ever longer spans (2^20 s is 12
 * days); with it, every failure chain lets the address in again within the hour after its latest
 * failure (the window's own refusal also ends an hour after a failure at the latest).
 */
export const MAX_BACKOFF_MS = 60 * 60 * 1000;

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

export function backoffMs(consecutiveFailures: number, throttle: LoginThrottle = ADDRESS_LOGIN_THROTTLE): number {
  const doublings = Math.floor(consecutiveFailures / throttle.failuresPerDoubling);
  return doublings === 0 ? 0 : Math.min(2 ** doublings * 1000, MAX_BACKOFF_MS);
}

export function beginIpLoginAttempt(
  state: IpLoginState,
  now: number,
  throttle: LoginThrottle = ADDRESS_LOGIN_THROTTLE,
): IpAttemptDecision {
  const backoffEndsAt =
    state.lastFailureAt === null ? 0 : state.lastFailureAt + backoffMs(state.consecutiveFailures, throttle);
  const window = admitToWindow(state.failures, now, throttle);
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
export function ipLoginStateEndsAt(state: IpLoginState, throttle: LoginThrottle = ADDRESS_LOGIN_THROTTLE): number {
  const backoffEndsAt =
    state.lastFailureAt === null
      ? Number.NEGATIVE_INFINITY
      : state.lastFailureAt + backoffMs(state.consecutiveFailures, throttle);
  return Math.max(backoffEndsAt, ...state.failures.map((at) => at + throttle.windowMs));
}
