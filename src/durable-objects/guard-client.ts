import type { Bindings } from "../env";
import { ApiError } from "../errors";

/**
 * Calls a guard Durable Object. Any failure to reach it (network, overload, an exception
 * inside) refuses the request with 503: a security check that could not run never lets a
 * request pass.
 */
async function callGuard<T extends Rpc.DurableObjectBranded, R>(
  label: string,
  namespace: DurableObjectNamespace<T>,
  name: string,
  call: (guard: DurableObjectStub<T>) => R,
): Promise<Awaited<R>> {
  try {
    return await call(namespace.get(namespace.idFromName(name)));
  } catch (error) {
    console.error(`${label} unavailable: ${error instanceof Error ? error.name : "unknown"}`);
    throw new ApiError("unavailable");
  }
}

type Stub<K extends "USER_GUARD" | "IP_GUARD" | "ACCOUNT_GUARD"> =
  Bindings[K] extends DurableObjectNamespace<infer T> ? DurableObjectStub<T> : never;

/** The user's guard: revocation (and rate limits); keyed by user id. */
export function withUserGuard<R>(env: Bindings, userId: string, call: (guard: Stub<"USER_GUARD">) => R) {
  return callGuard("user guard", env.USER_GUARD, userId, call);
}

/** The client IP's guard: login backoff and reset-request window; keyed by `CF-Connecting-IP`. */
export function withIpGuard<R>(env: Bindings, ip: string, call: (guard: Stub<"IP_GUARD">) => R) {
  return callGuard("ip guard", env.IP_GUARD, ip, call);
}

/** The account's guard: lockout and reset-mail window; keyed by the normalised email. */
export function withAccountGuard<R>(env: Bindings, email: string, call: (guard: Stub<"ACCOUNT_GUARD">) => R) {
  return callGuard("account guard", env.ACCOUNT_GUARD, email, call);
}
