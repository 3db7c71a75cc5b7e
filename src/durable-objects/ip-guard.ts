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
import { toSeconds } from "../domain/seconds";
import { admitToWindow } from "../domain/sliding-window";
import type { Bindings } from "../env";
import { JsonState } from "./json-state";
import { RequestWindow, type WindowAdmission } from "./request-window";
import { parseArgument } from "./rpc-arguments";

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
  private readonly blocks: JsonState<IpBlock | null>;
  private readonly unauthenticated: RequestWindow;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.state = new JsonState(ctx.storage.sql, initialIpLoginState);
    this.resetRequests = new JsonState<number[]>(ctx.storage.sql, []);
    this.blocks = new JsonState<IpBlock | null>(ctx.storage.sql, null);
    this.unauthenticated = new RequestWindow(ctx.storage.sql, "unauthenticated_window");
  }

  /** Whether an operator has blocked this IP (an expired block no longer counts). */
  async isBlocked(): Promise<boolean> {
    const block = this.blocks.read("block");
    return block !== null && (block.until === null || block.until > this.now());
  }

  /**
   * One request without a valid credential: refused if the IP is blocked, else counted in the
   * rolling hour (a refusal uses no budget).
   */
  async admitUnauthenticated(): Promise<IpAdmission> {
    if (await this.isBlocked()) return { admitted: false, blocked: true };
    const now = this.now();
    const admission = this.unauthenticated.admit(now, UNAUTHENTICATED_WINDOW);
    if (admission.admitted) await this.scheduleCleanup(now + UNAUTHENTICATED_WINDOW.windowMs);
    return admission;
  }

  async block(reason: string, until: number | null): Promise<void> {
    const block = parseArgument(blockSchema, { reason, until }, "block");
    this.blocks.write("block", block);
    if (block.until !== null) await this.scheduleCleanup(block.until);
  }

  async unblock(): Promise<boolean> {
    const wasBlocked = await this.isBlocked();
    this.blocks.delete("block");
    return wasBlocked;
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
    const block = this.blocks.read("block");
    if (block?.until != null && block.until <= now) this.blocks.delete("block");
    const requestsLeft = this.unauthenticated.prune(now, UNAUTHENTICATED_WINDOW.windowMs);
    if (!isIpLoginStateIdle(login, now) || resets.length > 0 || requestsLeft) {
      await this.ctx.storage.setAlarm(now + 60 * 60 * 1000);
    }
  }

  /**
   * Keeps one alarm, at about the latest time anything here ages out. It may fire up to five
   * minutes early (it then looks again), which saves an alarm write on most requests.
   */
  private async scheduleCleanup(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current < at - 5 * 60_000) await this.ctx.storage.setAlarm(at);
  }
}
