import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import {
  ADDRESS_LOGIN_THROTTLE,
  type AttemptOutcome,
  beginIpLoginAttempt,
  type IpLoginState,
  initialIpLoginState,
  ipLoginStateEndsAt,
  type LoginThrottle,
  NETWORK_LOGIN_THROTTLE,
  settleIpLoginAttempt,
} from "../domain/login-backoff";
import { toSeconds } from "../domain/seconds";
import { signalNetwork } from "../domain/security-signals";
import type { Bindings } from "../env";
import { GuardStorage } from "./guard-storage";
import { REQUEST_WINDOW_COLUMNS, RequestWindow, type WindowAdmission } from "./request-window";
import { parseArgument } from "./rpc-arguments";
import {
  SIGNAL_COUNTER_TABLES,
  SignalCounter,
  type SignalReport,
  type SignalRow,
  serviceRows,
  signalReportSchema,
} from "./signal-counter";

export type GuardDecision = { admitted: true } | { admitted: false; retryAfterSeconds: number };
export type LoginAttemptTicket = { admitted: true; attemptAt: number } | { admitted: false; retryAfterSeconds: number };

/** At most 10 password-reset requests per IP in any rolling hour (mailbox flooding). */
export const RESET_REQUEST_WINDOW = { limit: 10, windowMs: 60 * 60 * 1000 };
/** API.md "Limits": requests without a valid credential, per client IP, in any rolling hour. */
export const UNAUTHENTICATED_WINDOW = { limit: 1000, windowMs: 60 * 60 * 1000 };

export type IpBlock = { reason: string; until: number | null };
export type IpAdmission = WindowAdmission | { admitted: false; blocked: true };

const blockSchema = z.object({ reason: z.string().min(1).max(500), until: z.int().positive().nullable() });

const settleSchema = z.object({ attemptAt: z.int(), outcome: z.enum(["success", "failure", "cancelled"]) });

/** Which login limits an instance applies: one address's, or (keyed by a network) a network's. */
export type LoginScope = "address" | "network";
const scopeSchema = z.enum(["address", "network"]);
const scopedReportSchema = signalReportSchema.extend({ scope: scopeSchema });
const throttles: Record<LoginScope, LoginThrottle> = {
  address: ADDRESS_LOGIN_THROTTLE,
  network: NETWORK_LOGIN_THROTTLE,
};

/**
 * One instance per client IP (`CF-Connecting-IP`, IPv6 by its /64), and one per network (/24, /48)
 * for the network's login limits (its login methods are then called with scope "network"). Holds the operator's block, the failed-login
 * window and backoff, the password-reset request window and the unauthenticated request window.
 * A Durable Object serialises its calls, so these counters are exact under any concurrency.
 *
 * Storage (see guard-storage.ts): `ip_block` (one row while blocked), `login_failures` (one row
 * per failed or running login attempt of the hour) with `login_run` (the consecutive failures
 * and the latest one, for the backoff), and one row per request in `reset_requests` and
 * `unauthenticated_window`. The alarm drops each once it can refuse nothing; an address with
 * nothing left keeps no storage.
 *
 * Security signals (signal-counter.ts): an address's instance counts the service totals and the
 * address's and ASN's rows of what it sees (401s, 429s, blocks, key rejections, login outcomes);
 * a network's instance counts the network's failed logins and the distinct accounts they tried.
 * The alarm hands them to the SecurityMonitor.
 */
export class IpGuard extends DurableObject<Bindings> {
  /** The clock; tests replace it to walk through backoff and windows without waiting. */
  now: () => number = () => Date.now();
  private readonly storage: GuardStorage;
  private readonly resetRequests: RequestWindow;
  private readonly unauthenticated: RequestWindow;
  private readonly signals: SignalCounter;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.storage = new GuardStorage(ctx.storage, {
      ip_block: "id INTEGER PRIMARY KEY CHECK (id = 1), reason TEXT NOT NULL, until INTEGER",
      login_failures: "at INTEGER NOT NULL",
      login_run:
        "id INTEGER PRIMARY KEY CHECK (id = 1), consecutive_failures INTEGER NOT NULL, last_failure_at INTEGER",
      reset_requests: REQUEST_WINDOW_COLUMNS,
      unauthenticated_window: REQUEST_WINDOW_COLUMNS,
      ...SIGNAL_COUNTER_TABLES,
    });
    this.signals = new SignalCounter(this.storage, env);
    this.resetRequests = new RequestWindow(this.storage, "reset_requests");
    this.unauthenticated = new RequestWindow(this.storage, "unauthenticated_window");
  }

  /** Whether an operator has blocked this IP (an expired block no longer counts). */
  async isBlocked(): Promise<boolean> {
    const block = this.readBlock();
    return block !== null && (block.until === null || block.until > this.now());
  }

  /**
   * One request without a valid credential: refused if the IP is blocked, else counted in the
   * rolling hour (a refusal uses no budget). `signals` names what the request ends in once
   * admitted (a 401, a key rejection); a refusal is counted as what it is (blocked, 429) instead.
   */
  async admitUnauthenticated(signals?: SignalReport): Promise<IpAdmission> {
    const report = signals === undefined ? undefined : parseArgument(signalReportSchema, signals, "signals");
    const now = this.now();
    if (await this.isBlocked()) {
      if (report) await this.countSignals(now, "address", { ...report, kinds: ["blocked"] });
      return { admitted: false, blocked: true };
    }
    const admission = this.unauthenticated.admit(now, UNAUTHENTICATED_WINDOW);
    if (admission.admitted) await this.storage.wakeBy(now + UNAUTHENTICATED_WINDOW.windowMs);
    if (report)
      await this.countSignals(now, "address", admission.admitted ? report : { ...report, kinds: ["rate_limited"] });
    return admission;
  }

  /**
   * Signals learnt after the request's one call here (an unknown API key, found so only after the
   * admitted D1 read), counted as this address's.
   */
  async recordSignals(signals: SignalReport): Promise<void> {
    await this.countSignals(this.now(), "address", parseArgument(signalReportSchema, signals, "signals"));
  }

  /**
   * Counts signals: an address's instance the service total, the address and its ASN; a
   * network's instance the network, and each account its failed logins tried (once a minute).
   */
  private async countSignals(now: number, scope: LoginScope, report: SignalReport): Promise<void> {
    if (report.kinds.length === 0) return;
    const { kinds, context } = report;
    if (scope === "address") {
      this.signals.count(now, serviceRows(kinds, context));
    } else {
      const network = signalNetwork(context.address);
      const rows: SignalRow[] = kinds.map((signal) => ({ signal, dimension: "network", subject: network }));
      this.signals.count(now, rows);
      if (kinds.includes("failed_login") && context.account !== null) {
        this.signals.countDistinct(now, "network_accounts", network, context.account);
      }
    }
    await this.signals.wake(now);
  }

  /**
   * Gives back the unit most recently admitted by `admitUnauthenticated` (a request charged as
   * unauthenticated turned out to carry a valid API key, which the user's window counts instead).
   * Nothing to give back, nothing happens.
   */
  async refundUnauthenticated(): Promise<void> {
    this.unauthenticated.refundNewest();
  }

  async block(reason: string, until: number | null): Promise<void> {
    const block = parseArgument(blockSchema, { reason, until }, "block");
    this.storage.store((sql) =>
      sql.exec(
        `INSERT INTO ip_block (id, reason, until) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET reason = excluded.reason, until = excluded.until`,
        block.reason,
        block.until,
      ),
    );
    if (block.until !== null) await this.storage.wakeBy(block.until);
  }

  async unblock(): Promise<boolean> {
    const wasBlocked = await this.isBlocked();
    const deleted = this.storage.ifStored(false, (sql) => sql.exec("DELETE FROM ip_block").rowsWritten > 0);
    // A permanent block scheduled no cleanup: the alarm now sees whether anything is left.
    if (deleted) await this.storage.wakeBy(this.now());
    return wasBlocked;
  }

  /**
   * `signals`: the request's context, so that an address's refusal (429) is counted as its
   * signal; a network's refusal is counted by the address's instance when the attempt is
   * cancelled there, so each refused attempt counts once.
   */
  async beginLoginAttempt(scope: LoginScope = "address", signals?: SignalReport): Promise<LoginAttemptTicket> {
    const parsedScope = parseArgument(scopeSchema, scope, "scope");
    const throttle = throttles[parsedScope];
    const report = signals === undefined ? undefined : parseArgument(signalReportSchema, signals, "signals");
    const now = this.now();
    const decision = beginIpLoginAttempt(this.readLogin(), now, throttle);
    if (!decision.admitted) {
      if (report && parsedScope === "address")
        await this.countSignals(now, "address", { ...report, kinds: ["rate_limited"] });
      return { admitted: false, retryAfterSeconds: toSeconds(decision.retryAfterMs) };
    }
    await this.writeLogin(decision.state, now);
    return { admitted: true, attemptAt: decision.attemptAt };
  }

  /**
   * Records an attempt's outcome. Settling needs no scope for the limits (they apply at the next
   * begin); `signals` says which instance this is for the counts (sign-in, failed login, a 2FA
   * failure, a 429 of the network's throttle).
   */
  async settleLoginAttempt(
    attemptAt: number,
    outcome: AttemptOutcome,
    signals?: SignalReport & { scope: LoginScope },
  ): Promise<void> {
    const settlement = parseArgument(settleSchema, { attemptAt, outcome }, "login settlement");
    const report = signals === undefined ? undefined : parseArgument(scopedReportSchema, signals, "signals");
    const now = this.now();
    const next = settleIpLoginAttempt(this.readLogin(), settlement.attemptAt, settlement.outcome, now);
    await this.writeLogin(next, now);
    if (report) await this.countSignals(now, report.scope, report);
  }

  async admitResetRequest(): Promise<GuardDecision> {
    const now = this.now();
    const admission = this.resetRequests.admit(now, RESET_REQUEST_WINDOW);
    if (!admission.admitted) return { admitted: false, retryAfterSeconds: admission.retryAfterSeconds };
    await this.storage.wakeBy(now + RESET_REQUEST_WINDOW.windowMs);
    return { admitted: true };
  }

  /** Drops state that can no longer refuse anything, so idle IPs cost no storage. */
  override async alarm(): Promise<void> {
    // First, so that everything after it reads the state as it is once the call is back.
    const signalsEndAt = await this.signals.flush(this.now());
    const now = this.now();
    // An instance does not know its scope here; the address throttle's end is the later one (its
    // backoff grows faster, both cap at an hour), so a network's state is kept long enough.
    const loginEndsAt = ipLoginStateEndsAt(this.readLogin());
    if (loginEndsAt <= now) this.deleteLogin();
    const block = this.readBlock();
    // A block without an end stays until an operator lifts it.
    const blockEndsAt = block === null ? Number.NEGATIVE_INFINITY : (block.until ?? Number.POSITIVE_INFINITY);
    if (blockEndsAt <= now) this.storage.ifStored(undefined, (sql) => sql.exec("DELETE FROM ip_block"));
    await this.storage.finishCleanup(
      now,
      this.signals.endTimes([
        signalsEndAt,
        loginEndsAt,
        blockEndsAt,
        this.resetRequests.prune(now, RESET_REQUEST_WINDOW.windowMs),
        this.unauthenticated.prune(now, UNAUTHENTICATED_WINDOW.windowMs),
      ]),
    );
  }

  private readBlock(): IpBlock | null {
    return this.storage.ifStored(
      null,
      (sql) => sql.exec<IpBlock>("SELECT reason, until FROM ip_block").toArray().at(0) ?? null,
    );
  }

  private readLogin(): IpLoginState {
    return this.storage.ifStored(initialIpLoginState, (sql) => {
      const run = sql
        .exec<{ consecutive_failures: number; last_failure_at: number | null }>(
          "SELECT consecutive_failures, last_failure_at FROM login_run",
        )
        .toArray()
        .at(0);
      const failures = sql
        .exec<{ at: number }>("SELECT at FROM login_failures ORDER BY at")
        .toArray()
        .map((row) => row.at);
      return {
        failures,
        consecutiveFailures: run?.consecutive_failures ?? 0,
        lastFailureAt: run?.last_failure_at ?? null,
      };
    });
  }

  /** Keeps `state` while it can still refuse something, and wakes the alarm for when it no longer can. */
  private async writeLogin(state: IpLoginState, now: number): Promise<void> {
    const endsAt = ipLoginStateEndsAt(state);
    if (endsAt <= now) {
      if (this.deleteLogin()) await this.storage.wakeBy(now);
      return;
    }
    this.storage.store((sql) => {
      sql.exec("DELETE FROM login_failures");
      for (const at of state.failures) sql.exec("INSERT INTO login_failures (at) VALUES (?)", at);
      sql.exec(
        `INSERT INTO login_run (id, consecutive_failures, last_failure_at) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
           last_failure_at = excluded.last_failure_at`,
        state.consecutiveFailures,
        state.lastFailureAt,
      );
    });
    await this.storage.wakeBy(endsAt);
  }

  /** Says whether there was anything to delete. */
  private deleteLogin(): boolean {
    return this.storage.ifStored(
      false,
      (sql) => sql.exec("DELETE FROM login_failures").rowsWritten + sql.exec("DELETE FROM login_run").rowsWritten > 0,
    );
  }
}
