import { runInDurableObject } from "cloudflare:test";
import type { AccountGuard } from "../../src/durable-objects/account-guard";
import type { IpGuard } from "../../src/durable-objects/ip-guard";
import type { UserGuard } from "../../src/durable-objects/user-guard";

type ClockedGuard = IpGuard | AccountGuard | UserGuard;

/**
 * A clock a test moves by hand. It starts at the real time: a guard sets its cleanup alarm from
 * this clock, and an alarm set in the real past would go off by itself in the middle of a test.
 */
export class ManualClock {
  constructor(public time = Date.now()) {}
  advance(ms: number) {
    this.time += ms;
  }
}

/** Points a guard's clock at `clock` (the guard reads `now()` for every decision). */
export async function injectClock(
  stub: DurableObjectStub<IpGuard> | DurableObjectStub<AccountGuard> | DurableObjectStub<UserGuard>,
  clock: ManualClock,
) {
  // The guards are typed with the Worker's bindings, the pool with the test env: bridge by hand.
  await runInDurableObject(stub as unknown as DurableObjectStub, (instance) => {
    (instance as unknown as ClockedGuard).now = () => clock.time;
  });
}
