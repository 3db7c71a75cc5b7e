import type { Bindings } from "../env";
import { ApiError } from "../errors";
import type { UserGuard } from "./user-guard";

type GuardStub = DurableObjectStub<UserGuard>;

/**
 * Calls the user's guard. Any failure to reach it (network, overload, an exception inside)
 * refuses the request with 503: a security check that could not run never lets a request pass.
 */
export async function withUserGuard<R>(
  env: Bindings,
  userId: string,
  call: (guard: GuardStub) => R,
): Promise<Awaited<R>> {
  const guard = env.USER_GUARD.get(env.USER_GUARD.idFromName(userId));
  try {
    return await call(guard);
  } catch (error) {
    console.error(`user guard unavailable: ${error instanceof Error ? error.name : "unknown"}`);
    throw new ApiError("unavailable");
  }
}
