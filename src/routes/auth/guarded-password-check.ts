import type { Context } from "hono";
import { auditContext } from "../../auth/audit-context";
import { signalContext } from "../../auth/signal-context";
import { recordRepeatedFailure } from "../../db/audit";
import { database } from "../../db/client";
import type { SignalKind } from "../../domain/security-signals";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { withAccountGuard, withIpGuard, withNetworkGuard } from "../../services/guard-client";
import { announceAccountLock } from "./announce-lock";

/** The checks whose success is a sign-in (the others re-check a signed-in user's password or code). */
const signInContexts: ReadonlySet<PasswordCheck["context"]> = new Set(["login", "login_mfa", "passkey"]);

/**
 * What a settled check counts as (README "Security signals"): every failure a failed login (the
 * second factor's also a 2FA failure), a success a sign-in only when it completes a sign-in.
 */
function attemptSignals(check: PasswordCheck, passed: boolean): SignalKind[] {
  if (!passed) return check.context === "login_mfa" ? ["failed_login", "mfa_failure"] : ["failed_login"];
  return !check.partial && signInContexts.has(check.context) ? ["sign_in"] : [];
}

export interface PasswordCheck {
  /** Normalised email: the account guard's key, whether or not an account has it. */
  email: string;
  userId: string | null;
  /** Runs bcrypt; only reached when both guards admit the attempt. */
  verify: () => Promise<boolean>;
  /** Where the password was asked for, for the audit row of a refusal. */
  context:
    | "login"
    | "login_mfa"
    | "password_change"
    | "email_change"
    | "account_erasure"
    | "mfa_change"
    | "passkey"
    | "passkey_registration";
  /**
   * A right answer that is not the whole login (the password of an account with 2FA on): the
   * attempt is taken back without resetting the counts, which only a completed login does.
   */
  partial?: boolean;
}

/**
 * Every password guess goes through here (API.md "Login"): IP and network guards, then account guard, then
 * bcrypt, then the outcome is recorded in both, so no guess is ever left uncounted. A refused
 * attempt answers 429 or 423 whatever the password, runs no bcrypt and extends nothing. The
 * failure that locks the account is announced here (audit row and mail), for every path.
 */
export async function guardedPasswordCheck(c: Context<AppEnv>, check: PasswordCheck) {
  const db = database(c.env.DB);
  const ip = c.get("clientIp");
  const refuse = async (reason: "backoff" | "locked", error: ApiError): Promise<never> => {
    // One row per address, account, reason and minute with a count: refusals cost no credential.
    await recordRepeatedFailure(db, auditContext(c), {
      type: "auth.login_failed",
      userId: check.userId,
      metadata: { reason, context: check.context },
    });
    throw error;
  };

  // Security signals ride on the guard calls the attempt makes anyway (signal-counter.ts).
  const context = signalContext(c, check.email);
  // The address's limits and its network's (/24, /48: 10× the numbers), asked at once.
  const [ticket, networkTicket] = await Promise.all([
    withIpGuard(c.env, ip, (guard) => guard.beginLoginAttempt("address", { kinds: [], context })),
    withNetworkGuard(c.env, ip, (guard) => guard.beginLoginAttempt("network")),
  ]);
  /**
   * Gives back the places of an attempt that checked no password (a refusal is never charged).
   * The address's guard counts a refusal by the network's throttle as its 429 (its own refusal it
   * counted when it refused).
   */
  const cancel = () =>
    Promise.all([
      ticket.admitted &&
        withIpGuard(c.env, ip, (guard) =>
          guard.settleLoginAttempt(ticket.attemptAt, "cancelled", {
            scope: "address",
            kinds: networkTicket.admitted ? [] : ["rate_limited"],
            context,
          }),
        ),
      networkTicket.admitted &&
        withNetworkGuard(c.env, ip, (guard) => guard.settleLoginAttempt(networkTicket.attemptAt, "cancelled")),
    ]);
  if (!ticket.admitted || !networkTicket.admitted) {
    await cancel();
    const waits = [ticket, networkTicket].map((decision) => (decision.admitted ? 0 : decision.retryAfterSeconds));
    return refuse(
      "backoff",
      new ApiError("too_many_attempts", { headers: { "Retry-After": String(Math.max(...waits)) } }),
    );
  }

  const lockoutMs = c.get("config").LOCKOUT_MINUTES * 60_000;
  const account = await withAccountGuard(c.env, check.email, (guard) => guard.beginLoginAttempt(lockoutMs));
  if (!account.admitted) {
    // No password was checked: neither the address nor its network is charged for this attempt.
    await cancel();
    return refuse(
      "locked",
      new ApiError("account_locked", { headers: { "Retry-After": String(account.retryAfterSeconds) } }),
    );
  }

  const passed = await check.verify();
  const ipOutcome = !passed ? "failure" : check.partial ? "cancelled" : "success";
  const accountOutcome = !passed ? "failure" : check.partial ? "partial" : "success";
  const kinds = attemptSignals(check, passed);
  const [, , settlement] = await Promise.all([
    withIpGuard(c.env, ip, (guard) =>
      guard.settleLoginAttempt(ticket.attemptAt, ipOutcome, { scope: "address", kinds, context }),
    ),
    withNetworkGuard(c.env, ip, (guard) =>
      guard.settleLoginAttempt(networkTicket.attemptAt, ipOutcome, { scope: "network", kinds, context }),
    ),
    withAccountGuard(c.env, check.email, (guard) => guard.settleLoginAttempt(accountOutcome, { kinds, context })),
  ]);
  // Whatever path asked for the password or code, the failure that locks the account mails its owner.
  if (settlement.newlyLocked) await announceAccountLock(c, { email: check.email, userId: check.userId });
  return { passed, newlyLocked: settlement.newlyLocked };
}
