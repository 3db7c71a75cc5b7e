/**
 * Per-account lockout (API.md "Login"): 10 consecutive failed logins, from any mix of IPs, lock
 * the account for the lockout period. Keyed by the normalised email, so an unknown email
 * behaves exactly like a known one. Like the IP throttle, an attempt counts as a failure when
 * it is admitted and is taken back only by a success, so concurrency cannot exceed the limit.
 */
export const LOCKOUT_THRESHOLD = 10;

/**
 * How long a run of failures without a lock is remembered after its latest attempt. API.md counts
 * "10 consecutive failures", with no time limit; without one, 9 failures would be kept forever and
 * an account's guard would never be empty. A day keeps the rule's point: a guesser who wants to stay
 * below the lock gets at most 9 passwords a day, far fewer than the 10 per lockout period the lock
 * itself lets through, and every faster attempt still locks the account and mails its owner.
 */
export const FAILURE_RUN_MEMORY_MS = 24 * 60 * 60 * 1000;

export interface AccountLockState {
  consecutiveFailures: number;
  lockedUntil: number | null;
  /** Whether the owner has been told about the current lock (one mail and audit row per lock). */
  lockAnnounced: boolean;
  /** When the latest attempt of the run was admitted (null: no run). */
  lastAttemptAt: number | null;
}

export const initialAccountLockState: AccountLockState = {
  consecutiveFailures: 0,
  lockedUntil: null,
  lockAnnounced: false,
  lastAttemptAt: null,
};

/**
 * From when the state can refuse nothing and counts nothing (it may then be dropped): the end of
 * its lock, else FAILURE_RUN_MEMORY_MS after the latest attempt of its run; -Infinity when it holds
 * neither.
 */
export function accountLockStateEndsAt(state: AccountLockState): number {
  if (state.lockedUntil !== null) return state.lockedUntil;
  if (state.consecutiveFailures > 0 && state.lastAttemptAt !== null) return state.lastAttemptAt + FAILURE_RUN_MEMORY_MS;
  return Number.NEGATIVE_INFINITY;
}

export type AccountAttemptDecision =
  | { admitted: true; state: AccountLockState }
  | { admitted: false; retryAfterMs: number };

export function beginAccountLoginAttempt(
  current: AccountLockState,
  now: number,
  lockoutMs: number,
): AccountAttemptDecision {
  // A lock that has run out, or a run of failures a day old, starts a fresh count.
  const state = accountLockStateEndsAt(current) <= now ? initialAccountLockState : current;
  if (state.lockedUntil !== null) return { admitted: false, retryAfterMs: state.lockedUntil - now };
  const consecutiveFailures = state.consecutiveFailures + 1;
  const lockedUntil = consecutiveFailures >= LOCKOUT_THRESHOLD ? now + lockoutMs : null;
  return { admitted: true, state: { ...state, consecutiveFailures, lockedUntil, lastAttemptAt: now } };
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
