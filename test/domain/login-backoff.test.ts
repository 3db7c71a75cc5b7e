import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { networkGuardKey } from "../../src/domain/client-address";
import {
  backoffMs,
  beginIpLoginAttempt,
  type IpLoginState,
  initialIpLoginState,
  ipLoginStateEndsAt,
  MAX_BACKOFF_MS,
  NETWORK_LOGIN_THROTTLE,
  settleIpLoginAttempt,
} from "../../src/domain/login-backoff";

const HOUR = 3_600_000;

/** One failed attempt at `now`: admitted, then settled as a failure. */
function fail(state: IpLoginState, now: number): IpLoginState {
  const decision = beginIpLoginAttempt(state, now);
  if (!decision.admitted) throw new Error(`refused at ${now}`);
  return settleIpLoginAttempt(decision.state, decision.attemptAt, "failure", now);
}

describe("per-IP login backoff", () => {
  it("refuses for 2^n seconds after the n-th consecutive failure", () => {
    let state = initialIpLoginState;
    let now = 0;
    for (const seconds of [2, 4, 8, 16]) {
      state = fail(state, now);
      const early = beginIpLoginAttempt(state, now + seconds * 1000 - 1);
      expect(early).toEqual({ admitted: false, retryAfterMs: 1 });
      expect(beginIpLoginAttempt(state, now).admitted).toBe(false);
      now += seconds * 1000;
      expect(beginIpLoginAttempt(state, now).admitted).toBe(true);
    }
  });

  it("allows at most 5 failures in any rolling hour, then frees a slot when the oldest leaves", () => {
    let state = initialIpLoginState;
    const times = [0, 2_000, 6_000, 14_000, 30_000];
    for (const at of times) state = fail(state, at);
    const refused = beginIpLoginAttempt(state, 30 * 60_000);
    expect(refused).toEqual({ admitted: false, retryAfterMs: HOUR - 30 * 60_000 });
    expect(beginIpLoginAttempt(state, HOUR).admitted).toBe(true);
  });

  it("a success ends the consecutive run but does not clear the hour's failures", () => {
    let state = initialIpLoginState;
    for (const at of [0, 2_000, 6_000, 14_000]) state = fail(state, at);
    const attempt = beginIpLoginAttempt(state, 30_000);
    if (!attempt.admitted) throw new Error("refused");
    state = settleIpLoginAttempt(attempt.state, attempt.attemptAt, "success", 30_000);
    expect(state.consecutiveFailures).toBe(0);
    expect(state.failures).toHaveLength(4);
    state = fail(state, 31_000);
    expect(beginIpLoginAttempt(state, 40_000).admitted).toBe(false);
  });

  it("counts admitted attempts before their outcome is known: at most 5 are ever in flight", () => {
    let state = initialIpLoginState;
    const admitted = [];
    for (let index = 0; index < 40; index++) {
      const decision = beginIpLoginAttempt(state, 0);
      if (decision.admitted) {
        admitted.push(decision);
        state = decision.state;
      }
    }
    expect(admitted).toHaveLength(5);
  });

  it("does not back off simultaneous attempts before any has failed", () => {
    const first = beginIpLoginAttempt(initialIpLoginState, 0);
    if (!first.admitted) throw new Error("refused");
    expect(beginIpLoginAttempt(first.state, 0).admitted).toBe(true);
  });

  it("a cancelled attempt gives its place back", () => {
    const attempt = beginIpLoginAttempt(initialIpLoginState, 0);
    if (!attempt.admitted) throw new Error("refused");
    expect(settleIpLoginAttempt(attempt.state, attempt.attemptAt, "cancelled", 0)).toEqual(initialIpLoginState);
  });

  it("never lets more than 5 failures through in any hour, whatever the timing", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 * HOUR }), fc.boolean()), { maxLength: 100 }),
        (attempts) => {
          const sorted = attempts.sort(([a], [b]) => a - b);
          let state = initialIpLoginState;
          const failures: number[] = [];
          for (const [at, succeeds] of sorted) {
            const decision = beginIpLoginAttempt(state, at);
            if (!decision.admitted) {
              expect(decision.retryAfterMs).toBeGreaterThan(0);
              continue;
            }
            state = settleIpLoginAttempt(decision.state, decision.attemptAt, succeeds ? "success" : "failure", at);
            if (!succeeds) failures.push(at);
          }
          for (const start of failures) {
            expect(failures.filter((at) => at >= start && at < start + HOUR).length).toBeLessThanOrEqual(5);
          }
        },
      ),
    );
  });
});

describe("how long the IP's login state matters", () => {
  it("holds nothing at first; after a failure, until the failure has left the hour", () => {
    expect(ipLoginStateEndsAt(initialIpLoginState)).toBe(Number.NEGATIVE_INFINITY);
    expect(ipLoginStateEndsAt(fail(initialIpLoginState, 1000))).toBe(1000 + HOUR);
  });

  it("until the backoff ends when that is later than the hour, and never beyond the cap", () => {
    const state: IpLoginState = { failures: [0], consecutiveFailures: 11, lastFailureAt: 1_800_000 };
    expect(ipLoginStateEndsAt(state)).toBe(1_800_000 + 2 ** 11 * 1000);
    expect(ipLoginStateEndsAt({ ...state, consecutiveFailures: 30 })).toBe(1_800_000 + HOUR);
  });

  it("refuses nothing from then on, whatever came before", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 2 * HOUR }), { maxLength: 30 }), (gaps) => {
        let state = initialIpLoginState;
        let now = 0;
        for (const gap of gaps) {
          now += gap;
          const decision = beginIpLoginAttempt(state, now);
          if (decision.admitted) state = settleIpLoginAttempt(decision.state, decision.attemptAt, "failure", now);
        }
        const endsAt = ipLoginStateEndsAt(state);
        expect(beginIpLoginAttempt(state, Math.max(now, endsAt)).admitted).toBe(true);
      }),
    );
  });
});

describe("the backoff's cap: a shared address is never refused for more than an hour by one failure chain", () => {
  it("doubles up to an hour and stays there (2^12 s would be 68 min; 2^40 s, 35,000 years)", () => {
    expect(backoffMs(11)).toBe(2048_000);
    expect(backoffMs(12)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(40)).toBe(MAX_BACKOFF_MS);
    expect(backoffMs(5000)).toBe(MAX_BACKOFF_MS);
  });

  it("one failure per period, for days, never makes the address wait more than an hour after it", () => {
    let state = initialIpLoginState;
    let now = 0;
    for (let index = 0; index < 200; index++) {
      const decision = beginIpLoginAttempt(state, now);
      if (!decision.admitted) {
        expect(decision.retryAfterMs).toBeLessThanOrEqual(MAX_BACKOFF_MS);
        now += decision.retryAfterMs;
        continue;
      }
      state = settleIpLoginAttempt(decision.state, decision.attemptAt, "failure", now);
      expect(beginIpLoginAttempt(state, now + MAX_BACKOFF_MS).admitted).toBe(true);
    }
    expect(state.consecutiveFailures).toBeGreaterThan(40);
  });

  it("whatever the timing, no refusal asks for more than an hour, and an hour after the latest failure all is admitted", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 2 * HOUR }), fc.boolean()), { maxLength: 80 }),
        fc.boolean(),
        (attempts, network) => {
          const throttle = network ? NETWORK_LOGIN_THROTTLE : undefined;
          let state = initialIpLoginState;
          let now = 0;
          for (const [gap, succeeds] of attempts) {
            now += gap;
            const decision = beginIpLoginAttempt(state, now, throttle);
            if (!decision.admitted) {
              expect(decision.retryAfterMs).toBeLessThanOrEqual(MAX_BACKOFF_MS);
              continue;
            }
            state = settleIpLoginAttempt(decision.state, decision.attemptAt, succeeds ? "success" : "failure", now);
          }
          const latest = Math.max(state.lastFailureAt ?? 0, ...state.failures);
          expect(beginIpLoginAttempt(state, Math.max(now, latest + HOUR), throttle).admitted).toBe(true);
        },
      ),
    );
  });
});

describe("a network's login limits: 10× the address's", () => {
  it("allows 50 failures an hour, and doubles its wait once per 10 consecutive failures", () => {
    expect([9, 10, 19, 20, 30, 40, 50].map((n) => backoffMs(n, NETWORK_LOGIN_THROTTLE) / 1000)).toEqual([
      0, 2, 2, 4, 8, 16, 32,
    ]);
    let state = initialIpLoginState;
    let now = 0;
    for (let index = 0; index < 50; index++) {
      now += 40_000;
      const decision = beginIpLoginAttempt(state, now, NETWORK_LOGIN_THROTTLE);
      if (!decision.admitted) throw new Error(`refused at failure ${index + 1}`);
      state = settleIpLoginAttempt(decision.state, decision.attemptAt, "failure", now);
    }
    const refused = beginIpLoginAttempt(state, now + 40_000, NETWORK_LOGIN_THROTTLE);
    expect(refused).toEqual({ admitted: false, retryAfterMs: 40_000 + HOUR - (now + 40_000) });
  });
});

describe("the network an address is counted in", () => {
  it.each([
    ["203.0.113.77", "network:203.0.113.0/24"],
    ["::ffff:203.0.113.77", "network:203.0.113.0/24"],
    ["2001:db8:abcd:12:1:2:3:4", "network:2001:db8:abcd::/48"],
    ["2001:db8:abcd:ffff::1", "network:2001:db8:abcd::/48"],
  ])("%s → %s", (address, key) => {
    expect(networkGuardKey(address)).toBe(key);
  });
});
