import { describe, expect, it } from "vitest";
import { env } from "../helpers/api";
import { injectClock, ManualClock } from "../helpers/clock";

const MINUTE = 60_000;
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
