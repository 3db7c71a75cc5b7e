import ipaddr from "ipaddr.js";
import * as z from "zod";

/**
 * The security signals (API.md "Operator": the security summary), counted per minute where they
 * happen (in the guards) and rolled up in the SecurityMonitor.
 *
 * - `sign_in`: a successful password, code, passkey or provider sign-in.
 * - `failed_login`: a failed password or code check, on any path that asks for one, or a failed
 *   provider callback.
 * - `lockout`: an account locked by its failures.
 * - `mfa_failure`: a wrong second factor at sign-in (also a failed login).
 * - `unauthorized`: a 401 (a credential missing or refused).
 * - `rate_limited`: a 429 (an address's or a user's budget, a login throttle).
 * - `blocked`: a 403 ip_blocked.
 * - `key_rejection`: an API key refused (unknown, revoked, expired, outside its allowlist).
 */
export const signalKinds = [
  "sign_in",
  "failed_login",
  "lockout",
  "mfa_failure",
  "unauthorized",
  "rate_limited",
  "blocked",
  "key_rejection",
] as const;
export type SignalKind = (typeof signalKinds)[number];

/**
 * What a count is counted by: `service` (subject "service": the whole service), `address` (the
 * client IP), `network` (its /24, or /64 for IPv6), `asn`, `account` (normalised email). Two more
 * count distinct pairs, so the monitor never stores the pairs themselves: `account_addresses`
 * (per account, each address that failed on it in the minute counts once) and `network_accounts`
 * (per network, each account it failed against counts once).
 */
export const signalDimensions = [
  "service",
  "address",
  "network",
  "asn",
  "account",
  "account_addresses",
  "network_accounts",
] as const;
export type SignalDimension = (typeof signalDimensions)[number];

export const SERVICE_SUBJECT = "service";
/** The subject the monitor counts under once a minute and dimension holds its cap of subjects. */
export const OTHER_SUBJECT = "other";

export const MINUTE_MS = 60_000;

export function minuteOf(at: number): number {
  return Math.floor(at / MINUTE_MS) * MINUTE_MS;
}

/** One counted row: what happened, by what, in which minute, how often. */
export interface SignalCount {
  minute: number;
  signal: SignalKind;
  dimension: SignalDimension;
  subject: string;
  count: number;
}

/** A flush carries at most this many rows; a guard holds a few per minute (one subject per dimension). */
export const MAX_SIGNAL_BATCH = 2_000;

export const signalBatchSchema = z
  .array(
    z.strictObject({
      minute: z.int().nonnegative(),
      signal: z.enum(signalKinds),
      dimension: z.enum(signalDimensions),
      subject: z.string().min(1).max(320),
      count: z.int().positive().max(1_000_000_000),
    }),
  )
  .max(MAX_SIGNAL_BATCH);

/**
 * What the Worker tells a guard about the request behind a signal, which the guard's own key does
 * not say: the client address, its ASN (`request.cf.asn`, absent locally) and the account tried.
 */
export interface SignalContext {
  address: string;
  asn: number | null;
  account: string | null;
}

export const MAX_ACCOUNT_LENGTH = 320;

export const signalContextSchema = z.strictObject({
  address: z.string().min(1).max(64),
  asn: z.int().nonnegative().max(4_294_967_295).nullable(),
  account: z.string().min(1).max(MAX_ACCOUNT_LENGTH).nullable(),
});

export const signalKindsSchema = z.array(z.enum(signalKinds)).max(signalKinds.length);

/** The network an address is reported under: IPv4 by its /24, IPv6 by its /64 (API.md). */
export function signalNetwork(address: string): string {
  if (!ipaddr.isValid(address)) return address;
  const parsed = ipaddr.process(address);
  const bits = parsed.kind() === "ipv4" ? 24 : 64;
  const network =
    parsed.kind() === "ipv4"
      ? ipaddr.IPv4.networkAddressFromCIDR(`${parsed.toString()}/${bits}`)
      : ipaddr.IPv6.networkAddressFromCIDR(`${parsed.toString()}/${bits}`);
  return `${network.toString()}/${bits}`;
}
