import ipaddr from "ipaddr.js";

/** One operator block: every address in `range` (CIDR) is refused until `until` (null: for good). */
export interface IpBlockEntry {
  range: string;
  until: number | null;
}

/**
 * The range a block target covers, as `network/prefix`: an address is its own /32 (IPv4) or its
 * /64 (IPv6, the smallest network one subscriber holds, RFC 6177 — as the IP guards count it);
 * a CIDR keeps its prefix, and an IPv6 one narrower than /64 widens to its /64. Null when the
 * text is neither an address nor a CIDR (IPv4 in four decimal parts only).
 */
export function blockRangeOf(target: string): string | null {
  try {
    const isCidr = target.includes("/");
    if (isCidr ? !ipaddr.isValidCIDR(target) : !ipaddr.isValid(target)) return null;
    const [address, prefix] = isCidr
      ? ipaddr.parseCIDR(target)
      : [ipaddr.parse(target), ipaddr.parse(target).kind() === "ipv4" ? 32 : 128];
    if (address.kind() === "ipv4") {
      const fourParts = isCidr ? ipaddr.IPv4.isValidCIDRFourPartDecimal : ipaddr.IPv4.isValidFourPartDecimal;
      if (!fourParts(target)) return null;
      return `${ipaddr.IPv4.networkAddressFromCIDR(`${address.toString()}/${prefix}`).toString()}/${prefix}`;
    }
    const v6 = address as ipaddr.IPv6;
    // An IPv4-mapped address is its IPv4 address (as `CF-Connecting-IP` is read); a mapped range is refused.
    if (v6.isIPv4MappedAddress()) return isCidr ? null : blockRangeOf(v6.toIPv4Address().toString());
    const bits = Math.min(prefix, 64);
    return `${ipaddr.IPv6.networkAddressFromCIDR(`${address.toString()}/${bits}`).toString()}/${bits}`;
  } catch {
    return null;
  }
}

/**
 * The active blocks, compiled for one lookup per request: whole-address ranges (/32, /64) in a
 * map, wider ranges in a short list matched one by one.
 */
export class IpBlockSet {
  private readonly exact = new Map<string, number | null>();
  private readonly wide: { network: [ipaddr.IPv4 | ipaddr.IPv6, number]; until: number | null }[] = [];

  constructor(entries: readonly IpBlockEntry[]) {
    for (const entry of entries) {
      const [address, prefix] = ipaddr.parseCIDR(entry.range);
      if (prefix === (address.kind() === "ipv4" ? 32 : 64)) this.exact.set(entry.range, entry.until);
      else this.wide.push({ network: [address, prefix], until: entry.until });
    }
  }

  /** Whether `clientIp` falls in a block still active at `now`. */
  isBlocked(clientIp: string, now: number): boolean {
    if (!ipaddr.isValid(clientIp)) return false;
    const address = ipaddr.process(clientIp);
    const active = (until: number | null | undefined) => until !== undefined && (until === null || until > now);
    const ownRange = blockRangeOf(address.toString());
    if (ownRange && active(this.exact.get(ownRange))) return true;
    return this.wide.some(
      (block) => address.kind() === block.network[0].kind() && active(block.until) && address.match(block.network),
    );
  }
}
