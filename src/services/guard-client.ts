import { ipGuardKey, networkGuardKey } from "../domain/client-address";
import { SECURITY_MONITOR_NAME } from "../durable-objects/security-monitor";
import type { Bindings } from "../env";
import { ApiError } from "../errors";

/**
 * How long the Worker waits for a guard. A guard answers in milliseconds (one SQLite read and
 * write in its own instance); one that has not answered in 3 s is treated as unreachable, so a
 * hung instance costs a request 3 s and a 503 instead of holding it until the runtime kills it.
 * A fixed constant rather than a setting: there is no deployment for which another value is
 * right, and a knob that could be set to "wait forever" would undo the point.
 */
export const GUARD_TIMEOUT_MS = 3_000;

/**
 * Calls a guard Durable Object. Any failure to reach it (network, overload, an exception
 * inside, no answer within GUARD_TIMEOUT_MS) refuses the request with 503: a security check
 * that could not run never lets a request pass. A call that timed out may still complete in
 * the guard later: then it has counted a request or an attempt, or recorded a revocation, for
 * a request that was refused, which errs on the safe side.
 */
async function callGuard<T extends Rpc.DurableObjectBranded, R>(
  label: string,
  namespace: DurableObjectNamespace<T>,
  name: string,
  call: (guard: DurableObjectStub<T>) => R,
): Promise<Awaited<R>> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new DOMException(`no answer within ${GUARD_TIMEOUT_MS} ms`, "TimeoutError")),
      GUARD_TIMEOUT_MS,
    );
  });
  try {
    return await Promise.race([call(namespace.get(namespace.idFromName(name))), timeout]);
  } catch (error) {
    console.error(`${label} unavailable: ${error instanceof Error ? error.name : "unknown"}`);
    throw new ApiError("unavailable");
  } finally {
    clearTimeout(timer);
  }
}

type Stub<K extends "USER_GUARD" | "IP_GUARD" | "ACCOUNT_GUARD" | "IP_BLOCK_LIST" | "SECURITY_MONITOR"> =
  Bindings[K] extends DurableObjectNamespace<infer T> ? DurableObjectStub<T> : never;

/** The user's guard: revocation (and rate limits); keyed by user id. */
export function withUserGuard<R>(env: Bindings, userId: string, call: (guard: Stub<"USER_GUARD">) => R) {
  return callGuard("user guard", env.USER_GUARD, userId, call);
}

/** The client IP's guard: limits, login backoff, blocks; keyed by `CF-Connecting-IP` (IPv6 by its /64). */
export function withIpGuard<R>(env: Bindings, ip: string, call: (guard: Stub<"IP_GUARD">) => R) {
  return callGuard("ip guard", env.IP_GUARD, ipGuardKey(ip), call);
}

/**
 * The guard of the client's network (/24, or /48 for IPv6): an IpGuard instance of its own, asked
 * only by password and code checks, for the login limits that also hold per network.
 */
export function withNetworkGuard<R>(env: Bindings, ip: string, call: (guard: Stub<"IP_GUARD">) => R) {
  return callGuard("network guard", env.IP_GUARD, networkGuardKey(ip), call);
}

/** The account's guard: lockout and reset-mail window; keyed by the normalised email. */
export function withAccountGuard<R>(env: Bindings, email: string, call: (guard: Stub<"ACCOUNT_GUARD">) => R) {
  return callGuard("account guard", env.ACCOUNT_GUARD, email, call);
}

/** The one list of active IP blocks (addresses and ranges) that every isolate caches. */
export function withIpBlockList<R>(env: Bindings, call: (list: Stub<"IP_BLOCK_LIST">) => R) {
  return callGuard("ip block list", env.IP_BLOCK_LIST, "global", call);
}

/** The security signals' roll-up (one instance): the operator's summary reads it. */
export function withSecurityMonitor<R>(env: Bindings, call: (monitor: Stub<"SECURITY_MONITOR">) => R) {
  return callGuard("security monitor", env.SECURITY_MONITOR, SECURITY_MONITOR_NAME, call);
}

/**
 * Tells the user's guard that D1 now holds a key's revocation at `effectiveAt`, so the guard may
 * forget its own entry a day later. Best effort: when it fails, the guard keeps the entry for
 * good, which only costs it a row; the revocation itself is done either way.
 */
export async function confirmApiKeyRevocation(
  c: { env: Bindings },
  userId: string,
  keyId: string,
  effectiveAt: number,
): Promise<void> {
  try {
    await withUserGuard(c.env, userId, (guard) => guard.confirmApiKeyRevocation(keyId, effectiveAt));
  } catch {
    // Logged by callGuard; the revocation stands in the guard and in D1.
  }
}
