import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toSeconds } from "../../src/domain/seconds";
import { admitToWindow } from "../../src/domain/sliding-window";

const policy = { limit: 5, windowMs: 60_000 };

/** Feeds arrivals (sorted times) through the window and returns the admitted ones. */
function run(arrivals: number[], windowPolicy = policy) {
  let events: number[] = [];
  const admitted: number[] = [];
  const refused: { at: number; retryAfterMs: number; before: number[] }[] = [];
  for (const at of arrivals) {
    const decision = admitToWindow(events, at, windowPolicy);
    if (decision.admitted) admitted.push(at);
    else refused.push({ at, retryAfterMs: decision.retryAfterMs, before: [...admitted] });
    events = decision.events;
  }
  return { admitted, refused };
}

const arrivalsArbitrary = fc
  .array(fc.integer({ min: 0, max: 300_000 }), { maxLength: 200 })
  .map((times) => times.sort((a, b) => a - b));

describe("admitToWindow", () => {
  it("never admits more than the limit in any span of the window", () => {
    fc.assert(
      fc.property(arrivalsArbitrary, (arrivals) => {
        const { admitted } = run(arrivals);
        for (const start of admitted) {
          const inSpan = admitted.filter((at) => at >= start && at < start + policy.windowMs);
          expect(inSpan.length).toBeLessThanOrEqual(policy.limit);
        }
      }),
    );
  });

  it("never refuses while fewer than the limit were admitted in the window before", () => {
    fc.assert(
      fc.property(arrivalsArbitrary, (arrivals) => {
        for (const refusal of run(arrivals).refused) {
          const recent = refusal.before.filter((at) => at > refusal.at - policy.windowMs);
          expect(recent.length).toBe(policy.limit);
        }
      }),
    );
  });

  it("tells a refused caller exactly when a slot frees", () => {
    fc.assert(
      fc.property(arrivalsArbitrary, (arrivals) => {
        let events: number[] = [];
        for (const at of arrivals) {
          const decision = admitToWindow(events, at, policy);
          if (!decision.admitted) {
            expect(decision.retryAfterMs).toBeGreaterThan(0);
            expect(admitToWindow(decision.events, at + decision.retryAfterMs, policy).admitted).toBe(true);
            expect(admitToWindow(decision.events, at + decision.retryAfterMs - 1, policy).admitted).toBe(false);
          }
          events = decision.events;
        }
      }),
    );
  });

  it("keeps no more state than the limit", () => {
    fc.assert(
      fc.property(arrivalsArbitrary, (arrivals) => {
        let events: number[] = [];
        for (const at of arrivals) {
          events = admitToWindow(events, at, policy).events;
          expect(events.length).toBeLessThanOrEqual(policy.limit);
        }
      }),
    );
  });

  it("is not a fixed window: 2x the limit cannot pass around a boundary", () => {
    const arrivals = [59_000, 59_001, 59_002, 59_003, 59_004, 60_000, 60_001, 60_002, 60_003, 60_004];
    expect(run(arrivals).admitted).toHaveLength(5);
  });
});

describe("toSeconds", () => {
  it("rounds a wait up to whole seconds and never says 0", () => {
    expect([0, 1, 999, 1000, 1001, 3_600_000].map(toSeconds)).toEqual([1, 1, 1, 1, 2, 3600]);
  });
});
