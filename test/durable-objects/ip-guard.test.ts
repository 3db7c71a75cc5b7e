import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { IpGuard } from "../../src/durable-objects/ip-guard";
import { env } from "../helpers/api";
import { injectClock, ManualClock } from "../helpers/clock";
import { holdsNoStorage, runAlarm, storedState } from "../helpers/guard-storage";

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

describe("IpGuard storage", () => {
  it("wakes when the first thing runs out, and holds no storage once windows, backoff and block are over", async () => {
    const guard = guardOf("192.0.2.10");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    const start = clock.time;
    await guard.block("incident 42", start + 2 * HOUR);
    clock.advance(SECOND);
    await failOnce(guard);
    await guard.admitResetRequest();
    await guard.admitUnauthenticated();
    expect(await storedState(guard)).toEqual({
      tables: [
        "ip_block",
        "login_failures",
        "login_run",
        "reset_requests",
        "signal_counts",
        "signal_seen",
        "unauthenticated_window",
      ],
      alarm: start + SECOND + HOUR,
    });

    clock.advance(HOUR);
    expect(await runAlarm(guard)).toBe(true);
    // Only the block is left, and the alarm waits for its end.
    expect((await storedState(guard)).alarm).toBe(start + 2 * HOUR);
    expect((await guard.beginLoginAttempt()).admitted).toBe(true);
    expect(await guard.isBlocked()).toBe(true);

    clock.time = start + 2 * HOUR + 2 * SECOND;
    expect(await runAlarm(guard)).toBe(true);
    expect(await holdsNoStorage(guard)).toBe(true);
    expect(await guard.isBlocked()).toBe(false);
    expect(await holdsNoStorage(guard)).toBe(true);

    // The emptied guard counts again from its first request.
    expect(await guard.admitUnauthenticated()).toMatchObject({ admitted: true, remaining: 999 });
  });

  it("keeps a block without an end and no alarm for it; lifting it leaves nothing", async () => {
    const guard = guardOf("192.0.2.11");
    await guard.block("until lifted", null);
    expect(await storedState(guard)).toEqual({ tables: expect.arrayContaining(["ip_block"]), alarm: null });
    expect(await guard.unblock()).toBe(true);
    // Lifting it wakes the alarm at once (it may already have gone off by itself).
    await runAlarm(guard);
    expect(await holdsNoStorage(guard)).toBe(true);
  });

  it("completes storage an earlier version wrote with fewer tables, and keeps its counts", async () => {
    const guard = guardOf("192.0.2.15");
    await runInDurableObject(guard as unknown as DurableObjectStub, (_instance, state) => {
      state.storage.sql.exec("CREATE TABLE unauthenticated_window (at INTEGER NOT NULL)");
      state.storage.sql.exec("INSERT INTO unauthenticated_window (at) VALUES (?)", Date.now());
    });
    expect(await guard.isBlocked()).toBe(false);
    expect(await guard.admitUnauthenticated()).toMatchObject({ admitted: true, remaining: 998 });
  });

  it("stores nothing for an address that is only asked about", async () => {
    const guard = guardOf("192.0.2.12");
    expect(await guard.isBlocked()).toBe(false);
    expect(await guard.unblock()).toBe(false);
    await guard.refundUnauthenticated();
    expect(await holdsNoStorage(guard)).toBe(true);
  });
});

describe("refundUnauthenticated", () => {
  /** `count` requests without a credential at the clock's time (inside the instance: no RPC per request). */
  async function admitMany(guard: ReturnType<typeof guardOf>, count: number) {
    // The guard is typed with the Worker's bindings, the pool with the test env: bridge by hand.
    const admitted = await runInDurableObject(guard as unknown as DurableObjectStub, async (instance) => {
      let admitted = 0;
      for (let index = 0; index < count; index++) {
        if ((await (instance as unknown as IpGuard).admitUnauthenticated()).admitted) admitted += 1;
      }
      return admitted;
    });
    expect(admitted).toBe(count);
  }

  it("gives back one unit of the hourly budget: 1000 admitted, one refund, one more admitted, then refused", async () => {
    const guard = guardOf("192.0.2.13");
    await injectClock(guard, new ManualClock());
    await admitMany(guard, 1000);
    expect((await guard.admitUnauthenticated()).admitted).toBe(false);
    await guard.refundUnauthenticated();
    expect(await guard.admitUnauthenticated()).toMatchObject({ admitted: true, remaining: 0 });
    expect((await guard.admitUnauthenticated()).admitted).toBe(false);
  });

  it("takes back the newest unit, so the oldest still frees the next one when it leaves the hour", async () => {
    const guard = guardOf("192.0.2.14");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    await admitMany(guard, 1);
    clock.advance(10 * SECOND);
    await admitMany(guard, 999);
    await guard.refundUnauthenticated();
    clock.advance(10 * SECOND);
    expect((await guard.admitUnauthenticated()).admitted).toBe(true);
    // Full again: the request 20 s ago is the oldest, so the next place frees in 3580 s.
    expect(await guard.admitUnauthenticated()).toEqual({ admitted: false, limit: 1000, retryAfterSeconds: 3580 });
  });
});
