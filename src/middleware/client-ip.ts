import type { MiddlewareHandler } from "hono";
import ipaddr from "ipaddr.js";
import type { AppEnv } from "../env";

const PLAUSIBLE_IP = /^[0-9A-Fa-f:.]{2,45}$/;

export function normaliseIp(address: string): string {
  return ipaddr.process(address).toString();
}

/**
 * The client address is `CF-Connecting-IP`, which Cloudflare sets on every request at its edge;
 * `X-Forwarded-For` and `X-Real-IP` are client-controlled and never read.
 */
export function clientIp(): MiddlewareHandler<AppEnv> {
  return async function clientIp(c, next) {
    const header = c.req.header("CF-Connecting-IP")?.trim() ?? "";
    // Normalised (IPv4-mapped IPv6 as IPv4, IPv6 compressed) so one address is one guard.
    c.set("clientIp", PLAUSIBLE_IP.test(header) && ipaddr.isValid(header) ? normaliseIp(header) : "unknown");
    await next();
  };
}
