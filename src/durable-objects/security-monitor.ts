import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { ALERT_DEDUP_WINDOW_MS } from "../domain/alert-delivery";
import type { AlertObservation } from "../domain/alert-observation";
import {
  MINUTE_MS,
  OTHER_SUBJECT,
  SERVICE_SUBJECT,
  type SignalCount,
  type SignalDimension,
  type SignalKind,
  signalBatchSchema,
  signalKinds,
} from "../domain/security-signals";
import { type Bindings, loadConfig } from "../env";
import { raiseAlertsFor } from "../services/alerts";
import { GuardStorage } from "./guard-storage";
import { parseArgument } from "./rpc-arguments";

export const SECURITY_MONITOR_NAME = "global";

/** The one instance every guard and isolate reports to. */
export function securityMonitor(env: Bindings): DurableObjectStub<SecurityMonitor> {
  return env.SECURITY_MONITOR.get(env.SECURITY_MONITOR.idFromName(SECURITY_MONITOR_NAME));
}

/** How long per-minute rows are kept: the summary's longest window (24 h) and the minute in progress. */
export const SIGNAL_RETENTION_MS = 24 * 60 * 60 * 1000 + MINUTE_MS;
/**
 * Distinct subjects kept per minute and dimension; the rest are counted under "other". An attack
 * from millions of addresses then costs at most this many rows per minute and dimension, and the
 * totals (the `service` dimension) stay exact.
 */
export const MAX_SUBJECTS_PER_MINUTE = 1_000;
/** How many raised alerts this instance remembers within the desk's de-duplication window. */
const MAX_REMEMBERED_ALERTS = 1_000;
/** How many subjects each top list of the summary names. */
export const SUMMARY_TOP = 10;

const epochMsSchema = z.int().nonnegative();
const rangeSchema = z.strictObject({ from: epochMsSchema, to: epochMsSchema }).refine((r) => r.from <= r.to);

export interface SubjectCount {
  subject: string;
  failedLogins: number;
}

export interface SignalSummary {
  counts: Record<SignalKind, number>;
  /** By failed logins, most first, at most SUMMARY_TOP each ("other" is never named). */
  top: { address: SubjectCount[]; network: SubjectCount[]; asn: SubjectCount[]; account: SubjectCount[] };
}

/**
 * The one roll-up of the security signals (one instance, named "global"). The guards count where
 * things happen and hand their counts over in batches (SignalCounter, at most once every few
 * seconds per guard), so an attack costs this instance a call per busy guard every few seconds,
 * never one per request, and D1 nothing at all.
 *
 * Storage (see guard-storage.ts): `signals`, one row per (minute, dimension, subject, signal)
 * with its count, and `minute_subjects`, how many distinct subjects each minute and dimension
 * holds (for the cap). Rows older than SIGNAL_RETENTION_MS are dropped by the alarm.
 */
export class SecurityMonitor extends DurableObject<Bindings> {
  /** The clock; tests replace it. */
  now: () => number = () => Date.now();
  private readonly storage: GuardStorage;
  /** "kind subject" → until when the desk surely has it (memory only: a hint, never a decision). */
  private readonly recentAlerts = new Map<string, number>();

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.storage = new GuardStorage(ctx.storage, {
      signals: `minute INTEGER NOT NULL, dimension TEXT NOT NULL, subject TEXT NOT NULL, signal TEXT NOT NULL,
        count INTEGER NOT NULL, PRIMARY KEY (minute, dimension, subject, signal)`,
      minute_subjects: `minute INTEGER NOT NULL, dimension TEXT NOT NULL, subjects INTEGER NOT NULL,
        PRIMARY KEY (minute, dimension)`,
    });
  }

  /** Adds a guard's batch of per-minute counts. Rows already past retention are ignored. */
  async record(batch: SignalCount[]): Promise<void> {
    const rows = parseArgument(signalBatchSchema, batch, "signal batch");
    const oldestKept = this.now() - SIGNAL_RETENTION_MS;
    const kept = rows.filter((row) => row.minute > oldestKept);
    if (kept.length === 0) return;
    this.storage.store((sql) => {
      for (const row of kept) {
        const subject = this.admitSubject(sql, row.minute, row.dimension, row.subject);
        sql.exec(
          `INSERT INTO signals (minute, dimension, subject, signal, count) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (minute, dimension, subject, signal) DO UPDATE SET count = count + excluded.count`,
          row.minute,
          row.dimension,
          subject,
          row.signal,
          row.count,
        );
      }
    });
    await this.storage.wakeBy(Math.min(...kept.map((row) => row.minute)) + SIGNAL_RETENTION_MS);
    const alerting = kept.filter((row) => row.signal === "failed_login" || row.signal === "key_rejection");
    await this.raiseAlerts(new Set(alerting.map((row) => row.minute)));
  }

  /**
   * Hands each minute a batch touched to the alert rules, so an attack is reported while it goes on,
   * within a flush interval. The desk de-duplicates (one alert per kind and subject per 10 minutes);
   * `recentAlerts` only spares it the calls for alerts this instance raised already. A failure here is
   * logged and never fails the batch: it is stored, and the guard must not send it again.
   */
  private async raiseAlerts(minutes: Set<number>): Promise<void> {
    if (minutes.size === 0) return;
    const loaded = loadConfig(this.env);
    if (!loaded.ok) return;
    const now = this.now();
    for (const [key, until] of this.recentAlerts) if (until <= now) this.recentAlerts.delete(key);
    for (const minute of minutes) {
      try {
        const raised = await raiseAlertsFor(this.env, loaded.config, await this.observe(minute), now, (alert) =>
          this.recentAlerts.has(`${alert.kind} ${alert.subject}`),
        );
        for (const { alert } of raised) {
          if (this.recentAlerts.size < MAX_REMEMBERED_ALERTS) {
            this.recentAlerts.set(`${alert.kind} ${alert.subject}`, now + ALERT_DEDUP_WINDOW_MS);
          }
        }
      } catch (error) {
        console.error(`alerts not raised: ${error instanceof Error ? error.name : "unknown"}`);
      }
    }
  }

  /** The subject a row is kept under: itself if known or there is room this minute, else "other". */
  private admitSubject(sql: SqlStorage, minute: number, dimension: SignalDimension, subject: string): string {
    if (subject === OTHER_SUBJECT) return subject;
    const known =
      sql
        .exec(
          "SELECT 1 FROM signals WHERE minute = ? AND dimension = ? AND subject = ? LIMIT 1",
          minute,
          dimension,
          subject,
        )
        .toArray().length > 0;
    if (known) return subject;
    const held =
      sql
        .exec<{ subjects: number }>(
          "SELECT subjects FROM minute_subjects WHERE minute = ? AND dimension = ?",
          minute,
          dimension,
        )
        .toArray()
        .at(0)?.subjects ?? 0;
    if (held >= MAX_SUBJECTS_PER_MINUTE) return OTHER_SUBJECT;
    sql.exec(
      `INSERT INTO minute_subjects (minute, dimension, subjects) VALUES (?, ?, 1)
       ON CONFLICT (minute, dimension) DO UPDATE SET subjects = subjects + 1`,
      minute,
      dimension,
    );
    return subject;
  }

  /** One minute as the alert rules read it (src/domain/alert-observation.ts). */
  async observe(minute: number): Promise<AlertObservation> {
    const at = parseArgument(epochMsSchema, minute, "minute");
    const empty: AlertObservation = { minute: at, failedLogins: 0, keyRejections: 0, accounts: [], networks: [] };
    return this.storage.ifStored(empty, (sql) => {
      const total = (signal: SignalKind) =>
        sql
          .exec<{ n: number | null }>(
            "SELECT sum(count) AS n FROM signals WHERE minute = ? AND dimension = ? AND signal = ?",
            at,
            "service",
            signal,
          )
          .one().n ?? 0;
      // Each subject's failures with its distinct count, kept under its own dimension.
      const withDistinct = (dimension: SignalDimension, distinctDimension: SignalDimension) =>
        sql
          .exec<{ subject: string; failed: number; distinct: number }>(
            `SELECT f.subject AS subject, f.count AS failed, coalesce(d.count, 0) AS "distinct"
             FROM signals f LEFT JOIN signals d
               ON d.minute = f.minute AND d.dimension = ? AND d.subject = f.subject AND d.signal = 'failed_login'
             WHERE f.minute = ? AND f.dimension = ? AND f.signal = 'failed_login' AND f.subject != ?
             ORDER BY f.count DESC, f.subject`,
            distinctDimension,
            at,
            dimension,
            OTHER_SUBJECT,
          )
          .toArray();
      return {
        minute: at,
        failedLogins: total("failed_login"),
        keyRejections: total("key_rejection"),
        accounts: withDistinct("account", "account_addresses").map((row) => ({
          account: row.subject,
          failedLogins: row.failed,
          distinctAddresses: row.distinct,
        })),
        networks: withDistinct("network", "network_accounts").map((row) => ({
          network: row.subject,
          failedLogins: row.failed,
          distinctAccounts: row.distinct,
        })),
      };
    });
  }

  /** Totals and top subjects over the minutes that start in [from, to). */
  async summarize(from: number, to: number): Promise<SignalSummary> {
    const range = parseArgument(rangeSchema, { from, to }, "summary range");
    const counts = Object.fromEntries(signalKinds.map((kind) => [kind, 0])) as Record<SignalKind, number>;
    const top: SignalSummary["top"] = { address: [], network: [], asn: [], account: [] };
    this.storage.ifStored(undefined, (sql) => {
      const totals = sql
        .exec<{ signal: SignalKind; n: number }>(
          `SELECT signal, sum(count) AS n FROM signals
           WHERE minute >= ? AND minute < ? AND dimension = ? AND subject = ? GROUP BY signal`,
          range.from,
          range.to,
          "service",
          SERVICE_SUBJECT,
        )
        .toArray();
      for (const row of totals) counts[row.signal] = row.n;
      for (const dimension of ["address", "network", "asn", "account"] as const) {
        top[dimension] = sql
          .exec<{ subject: string; n: number }>(
            `SELECT subject, sum(count) AS n FROM signals
             WHERE minute >= ? AND minute < ? AND dimension = ? AND signal = 'failed_login' AND subject != ?
             GROUP BY subject ORDER BY n DESC, subject LIMIT ?`,
            range.from,
            range.to,
            dimension,
            OTHER_SUBJECT,
            SUMMARY_TOP,
          )
          .toArray()
          .map((row) => ({ subject: row.subject, failedLogins: row.n }));
      }
    });
    return { counts, top };
  }

  /** Drops the minutes past retention; wakes again when the oldest kept one goes. */
  override async alarm(): Promise<void> {
    const now = this.now();
    const oldestKept = now - SIGNAL_RETENTION_MS;
    const oldest = this.storage.ifStored(Number.NEGATIVE_INFINITY, (sql) => {
      sql.exec("DELETE FROM signals WHERE minute <= ?", oldestKept);
      sql.exec("DELETE FROM minute_subjects WHERE minute <= ?", oldestKept);
      return sql.exec<{ oldest: number | null }>("SELECT min(minute) AS oldest FROM signals").one().oldest;
    });
    await this.storage.finishCleanup(now, [oldest === null ? Number.NEGATIVE_INFINITY : oldest + SIGNAL_RETENTION_MS]);
  }
}
