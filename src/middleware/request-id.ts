import type { MiddlewareHandler } from "hono";
import { randomToken } from "../crypto/random";

/**
 * Gives every request an id of our own, returned in `X-Request-Id` and written to logs and
 * audit rows. A client-sent id is not adopted: audit rows must not carry attacker-chosen ids.
 */
export function requestId(): MiddlewareHandler {
  return async function requestId(c, next) {
    const id = `req_${randomToken(12)}`;
    c.set("requestId", id);
    c.header("X-Request-Id", id);
    await next();
  };
}
