import ipaddr from "ipaddr.js";

/** One spelling per address: IPv4-mapped IPv6 as IPv4, IPv6 compressed. */
export function normaliseIp(address: string): string {
  return ipaddr.process(address).toString();
}

/**
 * The key an address is counted and throttled under (its IP guard). IPv4: the address.
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
 * The network an address belongs to, for the login limits that also hold per network (API.md
 * "Login"): IPv4 by its /24, IPv6 by its /48 (a routed /48 is free from tunnel brokers and holds
 * 65,536 /64s). Prefixed, so that no network key is ever an address key.
 */
export function networkGuardKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return `network:${ip}`;
  const address = ipaddr.process(ip);
  const bits = address.kind() === "ipv4" ? 24 : 48;
  const network =
    address.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${bits}`);
  return `network:${network.toString()}/${bits}`;
}
