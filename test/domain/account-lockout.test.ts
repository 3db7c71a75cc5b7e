import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  type AccountLockState,
  accountLockStateEndsAt,
  beginAccountLoginAttempt,
  FAILURE_RUN_MEMORY_MS,
  initialAccountLockState,
  isLocked,
  settleAccountLoginAttempt,
} from "../../src/domain/account-lockout";

const LOCKOUT = 60 * 60_000;

function attempt(state: AccountLockState, now: number, succeeds: boolean) {
  const decision = beginAccountLoginAttempt(state, now, LOCKOUT);
  if (!decision.admitted) return { state, refused: decision.retryAfterMs, newlyLocked: false };
  const settled = settleAccountLoginAttempt(decision.state, succeeds ? "success" : "failure");
  return { state: settled.state, refused: null, newlyLocked: settled.newlyLocked };
}

describe("account lockout", () => {
  it("locks after 10 consecutive failures, announces it once, and refuses until it runs out", () => {
    let state = initialAccountLockState;
    const announcements: boolean[] = [];
    for (let index = 0; index < 10; index++) {
      const result = attempt(state, index, false);
      expect(result.refused).toBeNull();
      announcements.push(result.newlyLocked);
      state = result.state;
    }
    expect(announcements).toEqual([...Array(9).fill(false), true]);
    expect(isLocked(state, 10)).toBe(true);
    expect(attempt(state, 10, true).refused).toBe(LOCKOUT - 1);
    expect(attempt(state, 9 + LOCKOUT, true).refused).toBeNull();
  });

  it("starts a fresh count once a lock has run out", () => {
    let state = initialAccountLockState;
    for (let index = 0; index < 10; index++) state = attempt(state, 0, false).state;
    state = attempt(state, LOCKOUT, false).state;
    expect(state.consecutiveFailures).toBe(1);
    expect(isLocked(state, LOCKOUT)).toBe(false);
  });

  it("a success resets the count", () => {
    let state = initialAccountLockState;
    for (let index = 0; index < 9; index++) state = attempt(state, 0, false).state;
    state = attempt(state, 0, true).state;
    expect(state).toEqual(initialAccountLockState);
  });

  it("never checks more than 10 passwords in a row without a success, even if none settles", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 50 }), (concurrent) => {
        let state = initialAccountLockState;
        let admitted = 0;
        for (let index = 0; index < concurrent; index++) {
          const decision = beginAccountLoginAttempt(state, 0, LOCKOUT);
          if (decision.admitted) {
            admitted += 1;
            state = decision.state;
          }
        }
        expect(admitted).toBe(Math.min(concurrent, 10));
      }),
    );
  });
});

describe("how long the state matters", () => {
  it("forgets a run of failures without a lock a day after its latest attempt", () => {
    let state = initialAccountLockState;
    for (let index = 0; index < 9; index++) state = attempt(state, index, false).state;
    const lastAttemptAt = 8;
    expect(accountLockStateEndsAt(state)).toBe(lastAttemptAt + FAILURE_RUN_MEMORY_MS);
    const justBefore = attempt(state, lastAttemptAt + FAILURE_RUN_MEMORY_MS - 1, false);
    expect(justBefore.newlyLocked).toBe(true);
    const dayAfter = attempt(state, lastAttemptAt + FAILURE_RUN_MEMORY_MS, false);
    expect(dayAfter).toMatchObject({ newlyLocked: false, state: { consecutiveFailures: 1, lockedUntil: null } });
  });

  it("ends with the lock; holds nothing after a success", () => {
    let state = initialAccountLockState;
    for (let index = 0; index < 10; index++) state = attempt(state, 0, false).state;
    expect(accountLockStateEndsAt(state)).toBe(LOCKOUT);
    expect(accountLockStateEndsAt(attempt(state, LOCKOUT, true).state)).toBe(Number.NEGATIVE_INFINITY);
    expect(accountLockStateEndsAt(initialAccountLockState)).toBe(Number.NEGATIVE_INFINITY);
  });
});

describe("a right password that still needs a second factor", () => {
  it("takes its attempt back without resetting the count of wrong codes", () => {
    let state = initialAccountLockState;
    for (let index = 0; index < 5; index++) state = attempt(state, 0, false).state;
    const decision = beginAccountLoginAttempt(state, 0, LOCKOUT);
    if (!decision.admitted) throw new Error("refused");
    state = settleAccountLoginAttempt(decision.state, "partial").state;
    expect(state.consecutiveFailures).toBe(5);
  });
});
