import type { MiddlewareHandler } from "hono";
import ipaddr from "ipaddr.js";
import type { AppEnv } from "../env";

const PLAUSIBLE_IP = /^[0-9A-Fa-f:.]{2,45}$/;

export function normaliseIp(address: string): string {
  return ipaddr.process(address).toString();
}

/**
 * The key an address is counted, throttled and blocked under (its IP guard). IPv4: the address.
 * IPv6: its /64. One subscriber is given at least a /64 (RFC 6177) and can use any address in
 * it at will, so counting single IPv6 addresses would let one client rotate past every per-IP
 * limit, the 5-failed-logins rule included.
 */
export function ipGuardKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return ip;
  const address = ipaddr.process(ip);
  if (address.kind() === "ipv4") return address.toString();
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/64`);
  return `${network.toString()}/64`;
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
