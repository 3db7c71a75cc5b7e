import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import type { AppEnv } from "../env";

/** Headers a browser client may read (sliding refresh, rate limits, tracing). */
const EXPOSED_HEADERS = [
  "X-Request-Id",
  "X-Refreshed-Token",
  "RateLimit-Limit",
  "RateLimit-Remaining",
  "RateLimit-Reset",
  "Retry-After",
];

/** CORS per API.md: `*` only in development; elsewhere only the listed origins (never `null`). */
export function corsPolicy(): MiddlewareHandler<AppEnv> {
  return cors({
    origin: (origin, c) => {
      const config = c.get("config");
      if (config.ENVIRONMENT === "development") return "*";
      return config.ALLOWED_ORIGINS.includes(origin) ? origin : null;
    },
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
    allowHeaders: ["Content-Type", "Authorization"],
    exposeHeaders: EXPOSED_HEADERS,
    maxAge: 86400,
  });
}
