import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import {
  type AccountLockState,
  type AccountOutcome,
  beginAccountLoginAttempt,
  initialAccountLockState,
  isLocked,
  settleAccountLoginAttempt,
} from "../domain/account-lockout";
import { toSeconds } from "../domain/seconds";
import { admitToWindow } from "../domain/sliding-window";
import type { Bindings } from "../env";
import type { GuardDecision } from "./ip-guard";
import { JsonState } from "./json-state";
import { parseArgument } from "./rpc-arguments";

/** At most 3 password-reset mails per email in any rolling hour. */
export const RESET_MAIL_WINDOW = { limit: 3, windowMs: 60 * 60 * 1000 };

const lockoutMsSchema = z
  .int()
  .min(60_000)
  .max(30 * 24 * 60 * 60 * 1000);

/**
 * One instance per normalised email (known or not, so the answers never tell them apart):
 * consecutive failed logins, the lock, and the reset-mail window.
 */
export class AccountGuard extends DurableObject<Bindings> {
  /** The clock; tests replace it to let a lock run out without waiting. */
  now: () => number = () => Date.now();
  private readonly lock: JsonState<AccountLockState>;
  private readonly resetMails: JsonState<number[]>;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.lock = new JsonState(ctx.storage.sql, initialAccountLockState);
    this.resetMails = new JsonState<number[]>(ctx.storage.sql, []);
  }

  async beginLoginAttempt(lockoutMs: number): Promise<GuardDecision> {
    const decision = beginAccountLoginAttempt(
      this.lock.read("lock"),
      this.now(),
      parseArgument(lockoutMsSchema, lockoutMs, "lockout"),
    );
    if (!decision.admitted) return { admitted: false, retryAfterSeconds: toSeconds(decision.retryAfterMs) };
    this.lock.write("lock", decision.state);
    return { admitted: true };
  }

  /** Returns whether this failure is the one that announces a new lock (mail and audit once). */
  async settleLoginAttempt(outcome: AccountOutcome): Promise<{ newlyLocked: boolean }> {
    const settlement = settleAccountLoginAttempt(
      this.lock.read("lock"),
      parseArgument(z.enum(["success", "failure", "partial"]), outcome, "outcome"),
    );
    this.lock.write("lock", settlement.state);
    return { newlyLocked: settlement.newlyLocked };
  }

  /** Clears the count and any lock (completed reset, operator unlock). Says whether a lock was on. */
  async clearLock(): Promise<{ wasLocked: boolean }> {
    const wasLocked = isLocked(this.lock.read("lock"), this.now());
    this.lock.delete("lock");
    return { wasLocked };
  }

  async admitResetMail(): Promise<GuardDecision> {
    const now = this.now();
    const decision = admitToWindow(this.resetMails.read("reset"), now, RESET_MAIL_WINDOW);
    if (!decision.admitted) return { admitted: false, retryAfterSeconds: toSeconds(decision.retryAfterMs) };
    this.resetMails.write("reset", decision.events);
    return { admitted: true };
  }
}
