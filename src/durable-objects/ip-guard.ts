import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import {
  type AttemptOutcome,
  beginIpLoginAttempt,
  type IpLoginState,
  initialIpLoginState,
  isIpLoginStateIdle,
  LOGIN_FAILURE_WINDOW,
  settleIpLoginAttempt,
} from "../domain/login-backoff";
import { admitToWindow } from "../domain/sliding-window";
import type { Bindings } from "../env";
import { JsonState } from "./json-state";
import { parseArgument } from "./rpc-arguments";

export type GuardDecision = { admitted: true } | { admitted: false; retryAfterSeconds: number };
export type LoginAttemptTicket = { admitted: true; attemptAt: number } | { admitted: false; retryAfterSeconds: number };

/** At most 10 password-reset requests per IP in any rolling hour (mailbox flooding). */
export const RESET_REQUEST_WINDOW = { limit: 10, windowMs: 60 * 60 * 1000 };

const settleSchema = z.object({ attemptAt: z.int(), outcome: z.enum(["success", "failure", "cancelled"]) });

const toSeconds = (ms: number) => Math.max(1, Math.ceil(ms / 1000));

/**
 * One instance per client IP (`CF-Connecting-IP`). Holds the failed-login window and backoff,
 * and the password-reset request window. A Durable Object serialises its calls, so these
 * counters are exact under any concurrency.
 */
export class IpGuard extends DurableObject<Bindings> {
  /** The clock; tests replace it to walk through backoff and windows without waiting. */
  now: () => number = () => Date.now();
  private readonly state: JsonState<IpLoginState>;
  private readonly resetRequests: JsonState<number[]>;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.state = new JsonState(ctx.storage.sql, initialIpLoginState);
    this.resetRequests = new JsonState<number[]>(ctx.storage.sql, []);
  }

  async beginLoginAttempt(): Promise<LoginAttemptTicket> {
    const now = this.now();
    const decision = beginIpLoginAttempt(this.state.read("login"), now);
    if (!decision.admitted) return { admitted: false, retryAfterSeconds: toSeconds(decision.retryAfterMs) };
    this.state.write("login", decision.state);
    await this.scheduleCleanup(now + LOGIN_FAILURE_WINDOW.windowMs);
    return { admitted: true, attemptAt: decision.attemptAt };
  }

  async settleLoginAttempt(attemptAt: number, outcome: AttemptOutcome): Promise<void> {
    const settlement = parseArgument(settleSchema, { attemptAt, outcome }, "login settlement");
    const now = this.now();
    const next = settleIpLoginAttempt(this.state.read("login"), settlement.attemptAt, settlement.outcome, now);
    this.state.write("login", next);
  }

  async admitResetRequest(): Promise<GuardDecision> {
    const now = this.now();
    const decision = admitToWindow(this.resetRequests.read("reset"), now, RESET_REQUEST_WINDOW);
    if (!decision.admitted) return { admitted: false, retryAfterSeconds: toSeconds(decision.retryAfterMs) };
    this.resetRequests.write("reset", decision.events);
    await this.scheduleCleanup(now + RESET_REQUEST_WINDOW.windowMs);
    return { admitted: true };
  }

  /** Drops state that can no longer refuse anything, so idle IPs cost no storage. */
  override async alarm(): Promise<void> {
    const now = this.now();
    const login = this.state.read("login");
    if (isIpLoginStateIdle(login, now)) this.state.delete("login");
    const resets = this.resetRequests.read("reset").filter((at) => at > now - RESET_REQUEST_WINDOW.windowMs);
    if (resets.length === 0) this.resetRequests.delete("reset");
    else this.resetRequests.write("reset", resets);
    if (!isIpLoginStateIdle(login, now) || resets.length > 0) await this.ctx.storage.setAlarm(now + 60 * 60 * 1000);
  }

  private async scheduleCleanup(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current < at) await this.ctx.storage.setAlarm(at);
  }
}
