import type { Context } from "hono";
import type { AppEnv } from "../../env";
import { withIpGuard, withNetworkGuard } from "../guard-client";
import { ProviderFailure } from "./provider";

/**
 * A provider callback counts against the client's address and network like a password guess
 * (API.md: "counted against the client IP like a failed login"): the same IP guard windows (5
 * failures an hour, 2^n s backoff). A throttled address is refused here, before any code is
 * exchanged. A success is settled as "cancelled": it is not charged, and it does not wipe the
 * address's failures either (a sign-in at a provider says nothing about the earlier guesses).
 */
export async function beginProviderAttempt(c: Context<AppEnv>) {
  const ip = c.get("clientIp");
  const [ticket, networkTicket] = await Promise.all([
    withIpGuard(c.env, ip, (guard) => guard.beginLoginAttempt()),
    withNetworkGuard(c.env, ip, (guard) => guard.beginLoginAttempt("network")),
  ]);
  const settle = (outcome: "failure" | "cancelled") =>
    Promise.all([
      ticket.admitted && withIpGuard(c.env, ip, (guard) => guard.settleLoginAttempt(ticket.attemptAt, outcome)),
      networkTicket.admitted &&
        withNetworkGuard(c.env, ip, (guard) => guard.settleLoginAttempt(networkTicket.attemptAt, outcome)),
    ]).then(() => undefined);
  if (!ticket.admitted || !networkTicket.admitted) {
    await settle("cancelled");
    throw new ProviderFailure("too_many_attempts", "backoff");
  }
  return { settle };
}
