import { evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { env } from "../helpers/api";
import { injectClock, ManualClock } from "../helpers/clock";

const SECOND = 1000;
const HOUR = 3600 * SECOND;
const guardOf = (ip: string) => env.IP_GUARD.get(env.IP_GUARD.idFromName(ip));

async function failOnce(guard: ReturnType<typeof guardOf>) {
  const ticket = await guard.beginLoginAttempt();
  if (!ticket.admitted) throw new Error(`refused for ${ticket.retryAfterSeconds}s`);
  await guard.settleLoginAttempt(ticket.attemptAt, "failure");
}

describe("IpGuard with an injected clock", () => {
  it("backs off 2, 4, 8 and 16 seconds after consecutive failures", async () => {
    const guard = guardOf("192.0.2.1");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    for (const seconds of [2, 4, 8, 16]) {
      await failOnce(guard);
      expect(await guard.beginLoginAttempt()).toEqual({ admitted: false, retryAfterSeconds: seconds });
      clock.advance(seconds * SECOND - 1);
      expect(await guard.beginLoginAttempt()).toEqual({ admitted: false, retryAfterSeconds: 1 });
      clock.advance(1);
    }
  });

  it("refuses a sixth failure within the hour and admits again once the window has rolled", async () => {
    const guard = guardOf("192.0.2.2");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    for (let index = 0; index < 5; index++) {
      await failOnce(guard);
      clock.advance(60 * SECOND);
    }
    const firstFailureAt = clock.time - 5 * 60 * SECOND;
    const refused = await guard.beginLoginAttempt();
    expect(refused).toEqual({ admitted: false, retryAfterSeconds: (firstFailureAt + HOUR - clock.time) / SECOND });
    clock.time = firstFailureAt + HOUR;
    expect((await guard.beginLoginAttempt()).admitted).toBe(true);
  });

  it("does not extend the wait for refused attempts", async () => {
    const guard = guardOf("192.0.2.3");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    await failOnce(guard);
    for (let index = 0; index < 20; index++) await guard.beginLoginAttempt();
    clock.advance(2 * SECOND);
    expect((await guard.beginLoginAttempt()).admitted).toBe(true);
  });

  it("keeps its counts across eviction (SQLite storage)", async () => {
    const guard = guardOf("192.0.2.4");
    await failOnce(guard);
    await evictDurableObject(guard);
    expect((await guardOf("192.0.2.4").beginLoginAttempt()).admitted).toBe(false);
  });

  it("admits at most 10 reset requests in a rolling hour", async () => {
    const guard = guardOf("192.0.2.5");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    for (let index = 0; index < 10; index++) expect((await guard.admitResetRequest()).admitted).toBe(true);
    expect(await guard.admitResetRequest()).toEqual({ admitted: false, retryAfterSeconds: 3600 });
    clock.advance(HOUR);
    expect((await guard.admitResetRequest()).admitted).toBe(true);
  });
});
