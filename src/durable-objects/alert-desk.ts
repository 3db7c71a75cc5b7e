import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { newId } from "../crypto/random";
import { decodeCursor, encodeCursor } from "../db/cursor";
import {
  ALERT_DEDUP_WINDOW_MS,
  ALERT_RETENTION_MS,
  type AlertBody,
  type AlertDeliveryStatus,
  type AlertRecord,
  MAX_ALERTS_PER_WINDOW,
  MAX_STORED_ALERTS,
  retryDelayMs,
} from "../domain/alert-delivery";
import type { AlertInput } from "../domain/alert-observation";
import { type Bindings, loadConfig } from "../env";
import { type AlertWebhook, alertWebhookOf, postAlert } from "../services/alert-webhook";
import { parseArgument } from "./rpc-arguments";

export type RaiseOutcome = { status: "raised"; id: string } | { status: "duplicate" };
export interface AlertPage {
  data: AlertRecord[];
  nextCursor: string | null;
}

/** The one desk's name: de-duplication is exact only if every alert goes through the same instance. */
export const ALERT_DESK_NAME = "global";

/** The alert desk of this deployment. */
export function alertDesk(env: Pick<Bindings, "ALERT_DESK">): DurableObjectStub<AlertDesk> {
  return env.ALERT_DESK.get(env.ALERT_DESK.idFromName(ALERT_DESK_NAME));
}

/** At most this many alerts are POSTed by one alarm; the rest wait for the next, right after. */
const DELIVERIES_PER_ALARM = 20;
/**
 * A POST in progress holds its alert this long (longer than its 5 s timeout), so an alarm that
 * overlaps it cannot send the same alert twice, and one cut off by an eviction is tried again.
 */
const DELIVERY_LEASE_MS = 60_000;

const alertInputSchema = z.strictObject({
  kind: z.enum(["failed_logins_spike", "account_under_attack", "network_under_attack", "key_rejections_burst"]),
  subject: z.string().min(1).max(320),
  observed: z.int().nonnegative(),
  threshold: z.int().nonnegative(),
  minute: z.int().nonnegative(),
});
const nowSchema = z.int().positive();
const limitSchema = z.int().min(1).max(100);
const cursorSchema = z.string().max(200).nullable();

interface AlertRow extends Record<string, SqlStorageValue> {
  id: string;
  raised_at: number;
  body: string;
  status: AlertDeliveryStatus;
  attempts: number;
  last_error: string | null;
}

/**
 * The alert desk (API.md "Alerts"; one instance, `global`). `raise` keeps at most one alert per
 * kind and subject in any 10 minutes, exactly: a Durable Object runs one call at a time, and the
 * check and the insert are one synchronous step. Each alert is stored with the JSON body it is
 * POSTed with; the alarm POSTs it to ALERT_WEBHOOK_URL, signed afresh on every attempt, and
 * retries a failure with a doubling delay until it is delivered or `failed`. The same alarm drops
 * alerts after 7 days; at most MAX_STORED_ALERTS are kept.
 *
 * Storage: one `alerts` table, one row per alert. `next_attempt_at` is set only while the alert
 * is pending; the alarm is always at the earliest due attempt or the earliest expiry.
 */
export class AlertDesk extends DurableObject<Bindings> {
  /** The clock of deliveries, retries and expiry; tests replace it to walk through the backoff. */
  now: () => number = () => Date.now();
  /** Where alerts go, read from the configuration; tests replace it (the pool sets no hook). */
  webhook: () => AlertWebhook | null = () => {
    const loaded = loadConfig(this.env);
    return loaded.ok ? alertWebhookOf(loaded.config) : null;
  };
  /** The storm ceiling and the storage cap; tests lower them to reach them in a few calls. */
  limits = { perWindow: MAX_ALERTS_PER_WINDOW, stored: MAX_STORED_ALERTS };
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(
      `CREATE TABLE IF NOT EXISTS alerts (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        subject TEXT NOT NULL,
        raised_at INTEGER NOT NULL,
        body TEXT NOT NULL,
        status TEXT NOT NULL,
        attempts INTEGER NOT NULL,
        next_attempt_at INTEGER,
        last_error TEXT
      )`,
    );
    this.sql.exec("CREATE INDEX IF NOT EXISTS alerts_by_subject ON alerts (kind, subject, raised_at)");
    this.sql.exec("CREATE INDEX IF NOT EXISTS alerts_by_time ON alerts (raised_at, id)");
  }

  /**
   * Raises an alert at `now` (the caller's clock: the minute it closed), unless the same kind and
   * subject was raised within 10 minutes of it: then `duplicate`. Also `duplicate` once
   * MAX_ALERTS_PER_WINDOW alerts were raised in those 10 minutes (an alert storm is already
   * reported many times over).
   */
  async raise(alert: AlertInput, now: number): Promise<RaiseOutcome> {
    const input = parseArgument(alertInputSchema, alert, "alert");
    const at = parseArgument(nowSchema, now, "now");
    // Within 10 minutes either way: a caller whose clock is a little behind is de-duplicated too.
    const from = at - ALERT_DEDUP_WINDOW_MS;
    const to = at + ALERT_DEDUP_WINDOW_MS;
    const recent = this.sql
      .exec(
        "SELECT 1 FROM alerts WHERE kind = ? AND subject = ? AND raised_at > ? AND raised_at < ? LIMIT 1",
        input.kind,
        input.subject,
        from,
        to,
      )
      .toArray();
    if (recent.length > 0) return { status: "duplicate" };
    const inWindow = this.sql
      .exec<{ n: number }>("SELECT count(*) AS n FROM alerts WHERE raised_at > ? AND raised_at < ?", from, to)
      .one().n;
    if (inWindow >= this.limits.perWindow) return { status: "duplicate" };

    const id = newId("alr");
    const body: AlertBody = {
      id,
      kind: input.kind,
      subject: input.subject,
      observed: input.observed,
      threshold: input.threshold,
      minute: new Date(input.minute).toISOString(),
      raisedAt: new Date(at).toISOString(),
      environment: this.environment(),
    };
    const pending = this.webhook() !== null;
    this.sql.exec(
      `INSERT INTO alerts (id, kind, subject, raised_at, body, status, attempts, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, 0, ?)`,
      id,
      input.kind,
      input.subject,
      at,
      JSON.stringify(body),
      pending ? "pending" : "unsent",
      pending ? this.now() : null,
    );
    // The oldest beyond the cap go; with the storm ceiling below the cap, never a recent one.
    this.sql.exec(
      "DELETE FROM alerts WHERE id IN (SELECT id FROM alerts ORDER BY raised_at DESC, id DESC LIMIT -1 OFFSET ?)",
      this.limits.stored,
    );
    await this.scheduleAlarm();
    return { status: "raised", id };
  }

  /** Alerts newest first, `limit` at a time; `cursor` is the previous page's `nextCursor`. */
  async list(limit: number, cursor: string | null): Promise<AlertPage> {
    const size = parseArgument(limitSchema, limit, "limit");
    const after = parseArgument(cursorSchema, cursor, "cursor");
    let position: { at: number; id: string } | null = null;
    if (after !== null) {
      try {
        const decoded = decodeCursor(after);
        if (decoded) position = { at: decoded.createdAt.getTime(), id: decoded.id };
      } catch {
        throw new TypeError("invalid cursor");
      }
    }
    const columns = "id, raised_at, body, status, attempts, last_error";
    const rows = (
      position === null
        ? this.sql.exec<AlertRow>(`SELECT ${columns} FROM alerts ORDER BY raised_at DESC, id DESC LIMIT ?`, size + 1)
        : this.sql.exec<AlertRow>(
            `SELECT ${columns} FROM alerts WHERE raised_at < ? OR (raised_at = ? AND id < ?)
             ORDER BY raised_at DESC, id DESC LIMIT ?`,
            position.at,
            position.at,
            position.id,
            size + 1,
          )
    ).toArray();
    const page = rows.slice(0, size);
    const last = page.at(-1);
    return {
      data: page.map((row) => ({
        ...(JSON.parse(row.body) as AlertBody),
        status: row.status,
        attempts: row.attempts,
        lastError: row.last_error,
      })),
      nextCursor:
        rows.length > size && last ? encodeCursor({ createdAt: new Date(last.raised_at), id: last.id }) : null,
    };
  }

  /** Drops expired alerts, POSTs the due ones, and sets the next alarm. */
  override async alarm(): Promise<void> {
    const now = this.now();
    this.sql.exec("DELETE FROM alerts WHERE raised_at <= ?", now - ALERT_RETENTION_MS);
    const due = this.sql
      .exec<{ id: string; body: string; attempts: number }>(
        `SELECT id, body, attempts FROM alerts WHERE status = 'pending' AND next_attempt_at <= ?
         ORDER BY next_attempt_at LIMIT ?`,
        now,
        DELIVERIES_PER_ALARM,
      )
      .toArray();
    for (const { id } of due) {
      this.sql.exec("UPDATE alerts SET next_attempt_at = ? WHERE id = ?", now + DELIVERY_LEASE_MS, id);
    }
    const webhook = this.webhook();
    await Promise.all(due.map((row) => this.deliver(row, webhook)));
    await this.scheduleAlarm();
  }

  private async deliver(row: { id: string; body: string; attempts: number }, webhook: AlertWebhook | null) {
    const outcome = webhook
      ? await postAlert(webhook, row.body, this.now())
      : { ok: false as const, error: "ALERT_WEBHOOK_URL is no longer set" };
    const attempts = row.attempts + 1;
    if (outcome.ok) {
      this.sql.exec(
        "UPDATE alerts SET status = 'delivered', attempts = ?, next_attempt_at = NULL, last_error = NULL WHERE id = ?",
        attempts,
        row.id,
      );
      return;
    }
    const delay = webhook ? retryDelayMs(attempts) : null;
    this.sql.exec(
      "UPDATE alerts SET status = ?, attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
      delay === null ? "failed" : "pending",
      attempts,
      delay === null ? null : this.now() + delay,
      outcome.error,
      row.id,
    );
  }

  /** The alarm at the earliest due POST or expiry; none when nothing is stored. */
  private async scheduleAlarm(): Promise<void> {
    const { due, oldest } = this.sql
      .exec<{ due: number | null; oldest: number | null }>(
        "SELECT (SELECT min(next_attempt_at) FROM alerts WHERE status = 'pending') AS due, min(raised_at) AS oldest FROM alerts",
      )
      .one();
    const times = [due, oldest === null ? null : oldest + ALERT_RETENTION_MS].filter((at) => at !== null);
    if (times.length === 0) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(Math.min(...times));
  }

  private environment(): string {
    const loaded = loadConfig(this.env);
    return loaded.ok ? loaded.config.ENVIRONMENT : (this.env.ENVIRONMENT ?? "unknown");
  }
}
