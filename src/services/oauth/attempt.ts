import type { Context } from "hono";
import { signalContext } from "../../auth/signal-context";
import type { SignalKind } from "../../domain/security-signals";
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
  // No account is known before the provider answers: the signals are the address's and network's.
  const context = signalContext(c);
  const [ticket, networkTicket] = await Promise.all([
    withIpGuard(c.env, ip, (guard) => guard.beginLoginAttempt("address", { kinds: [], context })),
    withNetworkGuard(c.env, ip, (guard) => guard.beginLoginAttempt("network")),
  ]);
  /** `signals`: a sign-in for a success, a failed login for a failure, a 429 for the network's refusal. */
  const settleWith = (outcome: "failure" | "cancelled", kinds: SignalKind[]) =>
    Promise.all([
      ticket.admitted &&
        withIpGuard(c.env, ip, (guard) =>
          guard.settleLoginAttempt(ticket.attemptAt, outcome, { scope: "address", kinds, context }),
        ),
      networkTicket.admitted &&
        withNetworkGuard(c.env, ip, (guard) =>
          guard.settleLoginAttempt(networkTicket.attemptAt, outcome, {
            scope: "network",
            kinds: kinds.filter((kind) => kind !== "rate_limited"),
            context,
          }),
        ),
    ]).then(() => undefined);
  if (!ticket.admitted || !networkTicket.admitted) {
    await settleWith("cancelled", networkTicket.admitted ? [] : ["rate_limited"]);
    throw new ProviderFailure("too_many_attempts", "backoff");
  }
  const settle = (outcome: "failure" | "cancelled", signedIn = false) =>
    settleWith(outcome, outcome === "failure" ? ["failed_login"] : signedIn ? ["sign_in"] : []);
  return { settle };
}
