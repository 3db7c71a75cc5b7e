import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import {
  type AccountLockState,
  type AccountOutcome,
  accountLockStateEndsAt,
  beginAccountLoginAttempt,
  initialAccountLockState,
  isLocked,
  settleAccountLoginAttempt,
} from "../domain/account-lockout";
import { toSeconds } from "../domain/seconds";
import { SERVICE_SUBJECT } from "../domain/security-signals";
import type { Bindings } from "../env";
import { GuardStorage } from "./guard-storage";
import type { GuardDecision } from "./ip-guard";
import { REQUEST_WINDOW_COLUMNS, RequestWindow } from "./request-window";
import { parseArgument } from "./rpc-arguments";
import { SIGNAL_COUNTER_TABLES, SignalCounter, type SignalReport, signalReportSchema } from "./signal-counter";

/** At most 3 password-reset mails per email in any rolling hour. */
export const RESET_MAIL_WINDOW = { limit: 3, windowMs: 60 * 60 * 1000 };

const lockoutMsSchema = z
  .int()
  .min(60_000)
  .max(30 * 24 * 60 * 60 * 1000);

type LockRow = {
  consecutive_failures: number;
  locked_until: number | null;
  lock_announced: number;
  last_attempt_at: number | null;
};

/**
 * One instance per normalised email (known or not, so the answers never tell them apart):
 * consecutive failed logins, the lock, and the reset-mail window.
 *
 * Storage (see guard-storage.ts): `account_lock`, one row while a run of failures or a lock can
 * still refuse something (until the lock ends, or a day after the run's latest attempt), and
 * `reset_mails`, one row per reset mail of the last hour. Once both have run out, the alarm
 * deletes everything: an email that anyone ever tried keeps no storage.
 *
 * Security signals (signal-counter.ts): the account's failed logins and the distinct addresses
 * they came from, its lockouts (and the service's lockout total, counted here only); the alarm
 * hands them to the SecurityMonitor.
 */
export class AccountGuard extends DurableObject<Bindings> {
  /** The clock; tests replace it to let a lock run out without waiting. */
  now: () => number = () => Date.now();
  private readonly storage: GuardStorage;
  private readonly resetMails: RequestWindow;
  private readonly signals: SignalCounter;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.storage = new GuardStorage(ctx.storage, {
      account_lock: `id INTEGER PRIMARY KEY CHECK (id = 1),
        consecutive_failures INTEGER NOT NULL,
        locked_until INTEGER,
        lock_announced INTEGER NOT NULL,
        last_attempt_at INTEGER`,
      reset_mails: REQUEST_WINDOW_COLUMNS,
      ...SIGNAL_COUNTER_TABLES,
    });
    this.signals = new SignalCounter(this.storage, env);
    this.resetMails = new RequestWindow(this.storage, "reset_mails");
  }

  async beginLoginAttempt(lockoutMs: number): Promise<GuardDecision> {
    const now = this.now();
    const decision = beginAccountLoginAttempt(
      this.readLock(),
      now,
      parseArgument(lockoutMsSchema, lockoutMs, "lockout"),
    );
    if (!decision.admitted) return { admitted: false, retryAfterSeconds: toSeconds(decision.retryAfterMs) };
    await this.writeLock(decision.state, now);
    return { admitted: true };
  }

  /**
   * Returns whether this failure is the one that announces a new lock (mail and audit once).
   * `signals`: what the attempt counts for this account (its context names the account and the
   * client address, which this instance cannot know); a new lock is counted as a lockout.
   */
  async settleLoginAttempt(outcome: AccountOutcome, signals?: SignalReport): Promise<{ newlyLocked: boolean }> {
    const report = signals === undefined ? undefined : parseArgument(signalReportSchema, signals, "signals");
    const settlement = settleAccountLoginAttempt(
      this.readLock(),
      parseArgument(z.enum(["success", "failure", "partial"]), outcome, "outcome"),
    );
    const now = this.now();
    await this.writeLock(settlement.state, now);
    if (report?.context.account) {
      const account = report.context.account;
      this.signals.count(now, [
        ...report.kinds.map((signal) => ({ signal, dimension: "account" as const, subject: account })),
        ...(settlement.newlyLocked
          ? [
              { signal: "lockout" as const, dimension: "service" as const, subject: SERVICE_SUBJECT },
              { signal: "lockout" as const, dimension: "account" as const, subject: account },
            ]
          : []),
      ]);
      if (report.kinds.includes("failed_login")) {
        this.signals.countDistinct(now, "account_addresses", account, report.context.address);
      }
      await this.signals.wake(now);
    }
    return { newlyLocked: settlement.newlyLocked };
  }

  /** Clears the count and any lock (completed reset, operator unlock). Says whether a lock was on. */
  async clearLock(): Promise<{ wasLocked: boolean }> {
    const now = this.now();
    const wasLocked = isLocked(this.readLock(), now);
    await this.writeLock(initialAccountLockState, now);
    return { wasLocked };
  }

  async admitResetMail(): Promise<GuardDecision> {
    const now = this.now();
    const admission = this.resetMails.admit(now, RESET_MAIL_WINDOW);
    if (!admission.admitted) return { admitted: false, retryAfterSeconds: admission.retryAfterSeconds };
    await this.storage.wakeBy(now + RESET_MAIL_WINDOW.windowMs);
    return { admitted: true };
  }

  /** Drops the lock state once it can refuse nothing and the reset window once it is empty. */
  override async alarm(): Promise<void> {
    // First, so that everything after it reads the state as it is once the call is back.
    const signalsEndAt = await this.signals.flush(this.now());
    const now = this.now();
    const lockEndsAt = accountLockStateEndsAt(this.readLock());
    if (lockEndsAt <= now) this.deleteLock();
    const resetMailsEndAt = this.resetMails.prune(now, RESET_MAIL_WINDOW.windowMs);
    await this.storage.finishCleanup(now, this.signals.endTimes([signalsEndAt, lockEndsAt, resetMailsEndAt]));
  }

  private readLock(): AccountLockState {
    const row = this.storage.ifStored(undefined, (sql) =>
      sql
        .exec<LockRow>("SELECT consecutive_failures, locked_until, lock_announced, last_attempt_at FROM account_lock")
        .toArray()
        .at(0),
    );
    if (!row) return initialAccountLockState;
    return {
      consecutiveFailures: row.consecutive_failures,
      lockedUntil: row.locked_until,
      lockAnnounced: row.lock_announced === 1,
      lastAttemptAt: row.last_attempt_at,
    };
  }

  /** Keeps `state` while it can still refuse something, and wakes the alarm for when it no longer can. */
  private async writeLock(state: AccountLockState, now: number): Promise<void> {
    const endsAt = accountLockStateEndsAt(state);
    if (endsAt <= now) {
      if (this.deleteLock()) await this.storage.wakeBy(now);
      return;
    }
    this.storage.store((sql) =>
      sql.exec(
        `INSERT INTO account_lock (id, consecutive_failures, locked_until, lock_announced, last_attempt_at)
         VALUES (1, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
           locked_until = excluded.locked_until, lock_announced = excluded.lock_announced,
           last_attempt_at = excluded.last_attempt_at`,
        state.consecutiveFailures,
        state.lockedUntil,
        state.lockAnnounced ? 1 : 0,
        state.lastAttemptAt,
      ),
    );
    await this.storage.wakeBy(endsAt);
  }

  /** Says whether there was a row to delete. */
  private deleteLock(): boolean {
    return this.storage.ifStored(false, (sql) => sql.exec("DELETE FROM account_lock").rowsWritten > 0);
  }
}
