import type { Context } from "hono";
import { MAX_ACCOUNT_LENGTH, type SignalContext } from "../domain/security-signals";
import type { AppEnv } from "../env";

/**
 * The request's side of a security signal: the client address, its ASN (`request.cf.asn`, set by
 * Cloudflare, absent locally) and, for a password or code check, the account tried.
 */
export function signalContext(c: Context<AppEnv>, account: string | null = null): SignalContext {
  const asn: unknown = c.req.raw.cf?.asn;
  return {
    address: c.get("clientIp"),
    asn: typeof asn === "number" && Number.isInteger(asn) && asn >= 0 && asn <= 4_294_967_295 ? asn : null,
    // An account key is an email (at most 320 characters) or, for an unknown passkey, its
    // credential id, whose length the client chooses: kept within what the guards accept.
    account: account === null ? null : account.slice(0, MAX_ACCOUNT_LENGTH),
  };
}
