import ipaddr from "ipaddr.js";
import * as z from "zod";
import { normaliseIp } from "../../middleware/client-ip";

/** One address (not a range): a block lives in its guard, so an IPv6 address blocks its /64. */
export const ipSchema = z
  .string()
  .max(64)
  .refine(
    (value) => ipaddr.isValid(value) && (!ipaddr.IPv4.isIPv4(value) || ipaddr.IPv4.isValidFourPartDecimal(value)),
    {
      error: "must be one IPv4 or IPv6 address",
    },
  )
  .transform(normaliseIp);
