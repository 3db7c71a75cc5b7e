import type { MiddlewareHandler } from "hono";
import { type AppEnv, loadConfig } from "../env";
import { ApiError } from "../errors";

/** Refuses every request while the configuration is unsafe, naming the settings in the log. */
export function requireConfig(): MiddlewareHandler<AppEnv> {
  return async function requireConfig(c, next) {
    const result = loadConfig(c.env);
    if (!result.ok) {
      console.error(`server_misconfigured: ${result.problems.join("; ")}`);
      throw new ApiError("server_misconfigured");
    }
    c.set("config", result.config);
    await next();
  };
}
