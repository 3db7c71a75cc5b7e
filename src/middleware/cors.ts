import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";
import { CSRF_HEADER } from "../auth/csrf";
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

const common = {
  allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
  exposeHeaders: EXPOSED_HEADERS,
  maxAge: 86400,
};

// A listed origin (a frontend on another subdomain) may use the cookie session: it gets its own
// origin back with credentials, and may send the CSRF header.
const listedOrigin = cors({
  ...common,
  origin: (origin) => origin,
  allowHeaders: ["Content-Type", "Authorization", CSRF_HEADER],
  credentials: true,
});

// Any other origin, in development only: `*`, which browsers never combine with credentials
// (Fetch standard, CORS protocol), so no cookie session is ever usable from there.
const anyOriginWithoutCredentials = cors({
  ...common,
  origin: "*",
  allowHeaders: ["Content-Type", "Authorization"],
});

/**
 * CORS per API.md: credentialed CORS only for ALLOWED_ORIGINS; `*` (without credentials) only
 * when ENVIRONMENT=development; elsewhere nothing, so a browser refuses to show the answer.
 */
export function corsPolicy(): MiddlewareHandler<AppEnv> {
  return async function corsPolicy(c, next) {
    const config = c.get("config");
    const origin = c.req.header("Origin");
    if (origin && config.ALLOWED_ORIGINS.includes(origin)) return listedOrigin(c, next);
    if (config.ENVIRONMENT === "development") return anyOriginWithoutCredentials(c, next);
    return next();
  };
}
