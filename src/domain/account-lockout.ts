/**
 * Per-account lockout (API.md "Login"): 10 consecutive failed logins, from any mix of IPs, lock
 * the account for the lockout period. Keyed by the normalised email, so an unknown email
 * behaves exactly like a known one. Like the IP throttle, an attempt counts as a failure when
 * it is admitted and is taken back only by a success, so concurrency cannot exceed the limit.
 */
export const LOCKOUT_THRESHOLD = 10;

export interface AccountLockState {
  consecutiveFailures: number;
  lockedUntil: number | null;
  /** Whether the owner has been told about the current lock (one mail and audit row per lock). */
  lockAnnounced: boolean;
}

export const initialAccountLockState: AccountLockState = {
  consecutiveFailures: 0,
  lockedUntil: null,
  lockAnnounced: false,
};

export type AccountAttemptDecision =
  | { admitted: true; state: AccountLockState }
  | { admitted: false; retryAfterMs: number };

export function beginAccountLoginAttempt(
  current: AccountLockState,
  now: number,
  lockoutMs: number,
): AccountAttemptDecision {
  // A lock that has run out starts a fresh count.
  const state = current.lockedUntil !== null && current.lockedUntil <= now ? initialAccountLockState : current;
  if (state.lockedUntil !== null) return { admitted: false, retryAfterMs: state.lockedUntil - now };
  const consecutiveFailures = state.consecutiveFailures + 1;
  const lockedUntil = consecutiveFailures >= LOCKOUT_THRESHOLD ? now + lockoutMs : null;
  return { admitted: true, state: { ...state, consecutiveFailures, lockedUntil } };
}

export type AccountSettlement = { state: AccountLockState; newlyLocked: boolean };

/**
 * `success` ends the run; `failure` keeps the attempt counted (and announces a lock once);
 * `partial` — a right password of an account that still needs its second factor — takes the
 * attempt back without ending the run, so knowing the password never resets the count that
 * wrong codes add to.
 */
export type AccountOutcome = "success" | "failure" | "partial";

export function settleAccountLoginAttempt(state: AccountLockState, outcome: AccountOutcome): AccountSettlement {
  if (outcome === "success") return { state: initialAccountLockState, newlyLocked: false };
  if (outcome === "partial") {
    const consecutiveFailures = Math.max(0, state.consecutiveFailures - 1);
    const keepsLock = state.lockAnnounced || consecutiveFailures >= LOCKOUT_THRESHOLD;
    return {
      state: { ...state, consecutiveFailures, lockedUntil: keepsLock ? state.lockedUntil : null },
      newlyLocked: false,
    };
  }
  const newlyLocked = state.lockedUntil !== null && !state.lockAnnounced;
  return { state: { ...state, lockAnnounced: state.lockAnnounced || newlyLocked }, newlyLocked };
}

export function isLocked(state: AccountLockState, now: number): boolean {
  return state.lockedUntil !== null && state.lockedUntil > now;
}
