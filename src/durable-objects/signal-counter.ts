import * as z from "zod";
import {
  MAX_SIGNAL_BATCH,
  MINUTE_MS,
  minuteOf,
  SERVICE_SUBJECT,
  type SignalContext,
  type SignalCount,
  type SignalDimension,
  type SignalKind,
  signalContextSchema,
  signalKindsSchema,
} from "../domain/security-signals";
import type { Bindings } from "../env";
import type { GuardStorage } from "./guard-storage";
import { securityMonitor } from "./security-monitor";

/**
 * How often a guard hands its pending signal counts to the SecurityMonitor: at most once per
 * interval per guard instance, one RPC carrying every pending row, never per request. Five
 * seconds keeps the monitor's view of the current minute fresh enough for per-minute alert
 * rules, and an address under attack costs the monitor at most 12 calls a minute.
 */
export const SIGNAL_FLUSH_INTERVAL_MS = 5_000;

/** How long a flush may wait for the monitor before the guard keeps its counts for the next try. */
const FLUSH_TIMEOUT_MS = 3_000;

/**
 * Caps on what a guard holds while the monitor is unreachable: undelivered rows older than a day
 * are useless to it (it keeps a day) and are dropped; past MAX_SIGNAL_BATCH rows, a new row is
 * not started (existing rows still count). One instance has one subject per dimension, so a
 * minute costs it a handful of rows: the cap holds hours of signals.
 */
const PENDING_MAX_AGE_MS = 24 * 60 * 60 * 1000;
/** Distinct members (addresses of an account, accounts of a network) remembered per minute and subject. */
const MAX_DISTINCT_PER_MINUTE = 1_000;

export const SIGNAL_COUNTER_TABLES = {
  signal_counts: `minute INTEGER NOT NULL, signal TEXT NOT NULL, dimension TEXT NOT NULL, subject TEXT NOT NULL,
    count INTEGER NOT NULL, PRIMARY KEY (minute, signal, dimension, subject)`,
  signal_seen: `minute INTEGER NOT NULL, dimension TEXT NOT NULL, subject TEXT NOT NULL, member TEXT NOT NULL,
    PRIMARY KEY (minute, dimension, subject, member)`,
} as const;

export interface SignalRow {
  signal: SignalKind;
  dimension: SignalDimension;
  subject: string;
}

/**
 * A guard's pending signal counts, in its own storage (tables declared with the guard's others,
 * see SIGNAL_COUNTER_TABLES), delivered to the SecurityMonitor by the guard's alarm. A count stays
 * until the monitor has taken it: a failed flush is tried again by the next alarm.
 */
export class SignalCounter {
  constructor(
    private readonly storage: GuardStorage,
    private readonly env: Bindings,
  ) {}

  /** Counts one occurrence of each row in the minute of `now`; the caller then awaits `wake(now)`. */
  count(now: number, rows: readonly SignalRow[]): void {
    if (rows.length === 0) return;
    const minute = minuteOf(now);
    this.storage.store((sql) => {
      for (const row of rows) {
        const updated = sql.exec(
          "UPDATE signal_counts SET count = count + 1 WHERE minute = ? AND signal = ? AND dimension = ? AND subject = ?",
          minute,
          row.signal,
          row.dimension,
          row.subject,
        ).rowsWritten;
        if (updated > 0) continue;
        const { pending } = sql.exec<{ pending: number }>("SELECT count(*) AS pending FROM signal_counts").one();
        if (pending >= MAX_SIGNAL_BATCH) continue;
        sql.exec(
          "INSERT INTO signal_counts (minute, signal, dimension, subject, count) VALUES (?, ?, ?, ?, 1)",
          minute,
          row.signal,
          row.dimension,
          row.subject,
        );
      }
    });
  }

  /**
   * Counts `member` once per minute under (`dimension`, `subject`): the number of distinct
   * addresses that failed on an account, of accounts a network failed against.
   */
  countDistinct(now: number, dimension: SignalDimension, subject: string, member: string): void {
    const minute = minuteOf(now);
    const isNew = this.storage.store((sql) => {
      const { seen } = sql
        .exec<{ seen: number }>(
          "SELECT count(*) AS seen FROM signal_seen WHERE minute = ? AND dimension = ? AND subject = ?",
          minute,
          dimension,
          subject,
        )
        .one();
      if (seen >= MAX_DISTINCT_PER_MINUTE) return false;
      return (
        sql.exec(
          "INSERT INTO signal_seen (minute, dimension, subject, member) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
          minute,
          dimension,
          subject,
          member,
        ).rowsWritten > 0
      );
    });
    if (isNew) this.count(now, [{ signal: "failed_login", dimension, subject }]);
  }

  /** Makes the guard's alarm go off by the next flush. */
  wake(now: number): Promise<void> {
    return this.storage.wakeBy(now + SIGNAL_FLUSH_INTERVAL_MS);
  }

  /**
   * Called first by the guard's alarm: hands every pending count to the monitor (one call) and
   * drops what it took, forgets distinct members of past minutes, and returns when the alarm must
   * run again to retry (-Infinity when nothing is pending). Pass the guard's other end times
   * through `endTimes` afterwards.
   */
  async flush(now: number): Promise<number> {
    const rows = this.storage.ifStored([] as SignalCount[], (sql) => {
      sql.exec("DELETE FROM signal_counts WHERE minute < ?", now - PENDING_MAX_AGE_MS);
      sql.exec("DELETE FROM signal_seen WHERE minute < ?", minuteOf(now));
      return sql
        .exec<{ minute: number; signal: string; dimension: string; subject: string; count: number }>(
          "SELECT minute, signal, dimension, subject, count FROM signal_counts",
        )
        .toArray() as SignalCount[];
    });
    if (rows.length > 0 && (await this.deliver(rows))) {
      // Counts that arrived while the call was out stay pending: only what was sent is taken off.
      this.storage.ifStored(undefined, (sql) => {
        for (const row of rows) {
          sql.exec(
            "UPDATE signal_counts SET count = count - ? WHERE minute = ? AND signal = ? AND dimension = ? AND subject = ?",
            row.count,
            row.minute,
            row.signal,
            row.dimension,
            row.subject,
          );
        }
        sql.exec("DELETE FROM signal_counts WHERE count <= 0");
      });
    }
    return this.storage.ifStored(Number.NEGATIVE_INFINITY, (sql) =>
      sql.exec("SELECT 1 FROM signal_counts LIMIT 1").toArray().length > 0
        ? now + SIGNAL_FLUSH_INTERVAL_MS
        : Number.NEGATIVE_INFINITY,
    );
  }

  /**
   * The guard's end times with the distinct members' own (the end of their minute) added only if
   * no other state outlives them: a failed login always leaves login or lock state for longer,
   * whose alarm (flushing first) forgets them, so they cost no alarm of their own.
   */
  endTimes(guardEndTimes: number[]): number[] {
    const newest = this.storage.ifStored(
      null,
      (sql) => sql.exec<{ newest: number | null }>("SELECT max(minute) AS newest FROM signal_seen").one().newest,
    );
    if (newest === null) return guardEndTimes;
    const seenEndAt = newest + MINUTE_MS;
    return guardEndTimes.some((at) => at >= seenEndAt) ? guardEndTimes : [...guardEndTimes, seenEndAt];
  }

  private async deliver(rows: SignalCount[]): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const monitor = securityMonitor(this.env);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new DOMException("monitor timeout", "TimeoutError")), FLUSH_TIMEOUT_MS);
      });
      await Promise.race([monitor.record(rows), timeout]);
      return true;
    } catch (error) {
      console.error(`security monitor unavailable: ${error instanceof Error ? error.name : "unknown"}`);
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * What a guard is told about a request's signals: which happened, and the request's context
 * (validated at the RPC boundary with `signalReportSchema`).
 */
export interface SignalReport {
  kinds: SignalKind[];
  context: SignalContext;
}

export const signalReportSchema = z.strictObject({ kinds: signalKindsSchema, context: signalContextSchema });

/**
 * The rows an address's guard counts (the user guard counts its 429s the same way): the service
 * total, the address and its ASN. Each signal reaches exactly one such guard, so the totals are exact.
 */
export function serviceRows(kinds: readonly SignalKind[], context: SignalContext): SignalRow[] {
  return kinds.flatMap((signal) => [
    { signal, dimension: "service" as const, subject: SERVICE_SUBJECT },
    { signal, dimension: "address" as const, subject: context.address },
    ...(context.asn === null ? [] : [{ signal, dimension: "asn" as const, subject: String(context.asn) }]),
  ]);
}
