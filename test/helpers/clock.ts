import { runInDurableObject } from "cloudflare:test";
import type { AccountGuard } from "../../src/durable-objects/account-guard";
import type { IpGuard } from "../../src/durable-objects/ip-guard";
import type { UserGuard } from "../../src/durable-objects/user-guard";

type ClockedGuard = IpGuard | AccountGuard | UserGuard;

/** A clock a test moves by hand. */
export class ManualClock {
  constructor(public time = Date.UTC(2026, 10, 28, 12)) {}
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
