import ipaddr from "ipaddr.js";

/**
 * API-key IP allowlists: IPv4 and IPv6 addresses and CIDR ranges, parsed by ipaddr.js. Entries
 * are stored normalised as `address/prefix`. IPv4 must be written as four decimal parts
 * (no `127.1` or hex forms), and an IPv4-mapped IPv6 client address matches IPv4 entries.
 */
export function normaliseAllowlistEntry(entry: string): string | null {
  const text = entry.trim();
  try {
    if (text.includes("/")) {
      if (!ipaddr.isValidCIDR(text)) return null;
      const [address, prefix] = ipaddr.parseCIDR(text);
      if (address.kind() === "ipv4" && !ipaddr.IPv4.isValidCIDRFourPartDecimal(text)) return null;
      return `${address.toNormalizedString()}/${prefix}`;
    }
    if (!ipaddr.isValid(text)) return null;
    const address = ipaddr.parse(text);
    if (address.kind() === "ipv4" && !ipaddr.IPv4.isValidFourPartDecimal(text)) return null;
    return `${address.toNormalizedString()}/${address.kind() === "ipv4" ? 32 : 128}`;
  } catch {
    return null;
  }
}

export function isIpAllowed(clientIp: string, allowlist: readonly string[]): boolean {
  if (!ipaddr.isValid(clientIp)) return false;
  const client = ipaddr.process(clientIp);
  return allowlist.some((entry) => {
    const [address, prefix] = ipaddr.parseCIDR(entry);
    return address.kind() === client.kind() && client.match(address, prefix);
  });
}
