import type { MiddlewareHandler } from "hono";
import type { AccessPolicy } from "../auth/access";
import { runPipeline } from "../auth/pipeline";
import type { AppEnv } from "../env";
import { recordLastSeen, slideSession } from "../services/session-upkeep";

/**
 * Mounts the request pipeline (`auth/pipeline.ts`) for a route's access policy, deny by
 * default, and keeps an admitted session's last-seen time and sliding refresh.
 */
export function pipeline(policy: AccessPolicy): MiddlewareHandler<AppEnv> {
  return async function pipeline(c, next) {
    c.set("access", policy);
    const principal = await runPipeline(c, policy);
    if (!principal) return next();
    c.set("principal", principal);
    if (principal.kind === "api_key") return next();
    recordLastSeen(c, principal.sessionId);
    await next();
    await slideSession(c, principal);
  };
}
