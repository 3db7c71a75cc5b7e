import ipaddr from "ipaddr.js";
import * as z from "zod";
import { normaliseIp } from "../../domain/client-address";
import { blockRangeOf } from "../../domain/ip-blocks";

/**
 * What an operator blocks: one address (an IPv6 address blocks its /64, as the guards count it)
 * or a CIDR range (`203.0.113.0/24`, `2001:db8::/48`; IPv6 narrower than /64 widens to its /64).
 * Normalised: an address compressed, a range as `network/prefix`.
 */
export const ipSchema = z
  .string()
  .max(64)
  .refine((value) => blockRangeOf(value) !== null, {
    error: "must be one IPv4 or IPv6 address, or a CIDR range",
  })
  .transform((value) => (value.includes("/") ? (blockRangeOf(value) as string) : normaliseIp(value)));

/** Whether a normalised block target is a single address (then its IP guard holds the block too). */
export const isSingleAddress = (target: string) => ipaddr.isValid(target);
