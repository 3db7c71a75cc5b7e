import { describe, expect, it } from "vitest";
import { env } from "../helpers/api";
import { injectClock, ManualClock } from "../helpers/clock";
import { holdsNoStorage, runAlarm, storedState } from "../helpers/guard-storage";

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
const guardOf = (email: string) => env.ACCOUNT_GUARD.get(env.ACCOUNT_GUARD.idFromName(email));

describe("AccountGuard with an injected clock", () => {
  it("locks after 10 failures for the lockout period, then lets attempts through again", async () => {
    const guard = guardOf("locked@example.com");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    const announcements: boolean[] = [];
    for (let index = 0; index < 10; index++) {
      expect((await guard.beginLoginAttempt(60 * MINUTE)).admitted).toBe(true);
      announcements.push((await guard.settleLoginAttempt("failure")).newlyLocked);
    }
    expect(announcements.filter(Boolean)).toHaveLength(1);
    expect(await guard.beginLoginAttempt(60 * MINUTE)).toEqual({ admitted: false, retryAfterSeconds: 3600 });
    clock.advance(60 * MINUTE - 1);
    expect((await guard.beginLoginAttempt(60 * MINUTE)).admitted).toBe(false);
    clock.advance(1);
    expect((await guard.beginLoginAttempt(60 * MINUTE)).admitted).toBe(true);
  });

  it("clearLock ends a lock and reports it", async () => {
    const guard = guardOf("cleared@example.com");
    for (let index = 0; index < 10; index++) {
      await guard.beginLoginAttempt(60 * MINUTE);
      await guard.settleLoginAttempt("failure");
    }
    expect(await guard.clearLock()).toEqual({ wasLocked: true });
    expect((await guard.beginLoginAttempt(60 * MINUTE)).admitted).toBe(true);
    expect(await guard.clearLock()).toEqual({ wasLocked: false });
  });

  it("admits at most 3 reset mails per rolling hour", async () => {
    const guard = guardOf("mails@example.com");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    for (let index = 0; index < 3; index++) expect((await guard.admitResetMail()).admitted).toBe(true);
    expect((await guard.admitResetMail()).admitted).toBe(false);
    clock.advance(60 * MINUTE);
    expect((await guard.admitResetMail()).admitted).toBe(true);
  });
});

describe("AccountGuard storage", () => {
  it("wakes when the first thing runs out, and holds no storage once the run and the reset window are over", async () => {
    const guard = guardOf("forgotten@example.com");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    const start = clock.time;
    for (let index = 0; index < 9; index++) {
      await guard.beginLoginAttempt(60 * MINUTE);
      await guard.settleLoginAttempt("failure");
    }
    await guard.admitResetMail();
    expect(await storedState(guard)).toEqual({
      tables: ["account_lock", "reset_mails", "signal_counts", "signal_seen"],
      alarm: start + 60 * MINUTE,
    });

    clock.advance(60 * MINUTE);
    expect(await runAlarm(guard)).toBe(true);
    // The reset window is over; the run of 9 failures is remembered for a day after its latest attempt.
    expect((await storedState(guard)).alarm).toBe(start + DAY);

    clock.time = start + DAY;
    expect(await runAlarm(guard)).toBe(true);
    expect(await holdsNoStorage(guard)).toBe(true);

    // The run was forgotten: nine more failures do not lock the account, and the emptied guard stores again.
    for (let index = 0; index < 9; index++) {
      expect((await guard.beginLoginAttempt(60 * MINUTE)).admitted).toBe(true);
      expect(await guard.settleLoginAttempt("failure")).toEqual({ newlyLocked: false });
    }
    expect((await storedState(guard)).tables).toEqual(["account_lock", "reset_mails", "signal_counts", "signal_seen"]);
  });

  it("holds no storage once a lock has run out", async () => {
    const guard = guardOf("lock-ends@example.com");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    for (let index = 0; index < 10; index++) {
      await guard.beginLoginAttempt(60 * MINUTE);
      await guard.settleLoginAttempt("failure");
    }
    expect((await storedState(guard)).alarm).toBe(clock.time + 60 * MINUTE);
    clock.advance(60 * MINUTE);
    expect(await runAlarm(guard)).toBe(true);
    expect(await holdsNoStorage(guard)).toBe(true);
  });

  it("holds no storage after a successful login, nor after clearing the lock of an email nobody tried", async () => {
    const guard = guardOf("signs-in@example.com");
    await guard.beginLoginAttempt(60 * MINUTE);
    await guard.settleLoginAttempt("success");
    // The success leaves nothing to keep: the alarm is due at once (it may already have gone off).
    await runAlarm(guard);
    expect(await holdsNoStorage(guard)).toBe(true);

    const untried = guardOf("nobody-tried@example.com");
    expect(await untried.clearLock()).toEqual({ wasLocked: false });
    expect(await holdsNoStorage(untried)).toBe(true);
  });
});
