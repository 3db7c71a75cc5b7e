import type { MiddlewareHandler } from "hono";
import ipaddr from "ipaddr.js";
import { normaliseIp } from "../domain/client-address";
import type { AppEnv } from "../env";

const PLAUSIBLE_IP = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * The client address is `CF-Connecting-IP`, which Cloudflare sets on every request at its edge;
 * `X-Forwarded-For` and `X-Real-IP` are client-controlled and never read.
 */
export function clientIp(): MiddlewareHandler<AppEnv> {
  return async function clientIp(c, next) {
    const header = c.req.header("CF-Connecting-IP")?.trim() ?? "";
    c.set("clientIp", PLAUSIBLE_IP.test(header) && ipaddr.isValid(header) ? normaliseIp(header) : "unknown");
    await next();
  };
}
