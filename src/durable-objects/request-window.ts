import { toSeconds } from "../domain/seconds";
import { admitToWindow, type WindowPolicy } from "../domain/sliding-window";
import type { GuardStorage } from "./guard-storage";

export type WindowAdmission =
  | { admitted: true; limit: number; remaining: number; resetSeconds: number }
  | { admitted: false; limit: number; retryAfterSeconds: number };

/** The columns of a request window's table (declare it with the guard's other tables). */
const AGED_OUT_BATCH = 64;

export const REQUEST_WINDOW_COLUMNS = "at INTEGER NOT NULL";

/**
 * An exact rolling request window kept in a guard's SQLite storage (one row per admitted request
 * still inside the window, so at most `limit` rows), mirrored in memory so a decision costs no
 * read. Eviction or a restart reloads it: no counter is ever reset by them.
 */
export class RequestWindow {
  private events: number[] | null = null;
  /** Entries that left the window in memory but are still stored (deleted in batches). */
  private agedOutStored = 0;

  constructor(
    private readonly storage: GuardStorage,
    private readonly table: string,
  ) {}

  private load(): number[] {
    this.events ??= this.storage.ifStored([], (sql) =>
      sql
        .exec<{ at: number }>(`SELECT at FROM ${this.table} ORDER BY at`)
        .toArray()
        .map((row) => row.at),
    );
    return this.events;
  }

  /** Admits one request at `now` if the window has room; a refusal stores nothing. */
  admit(now: number, policy: WindowPolicy): WindowAdmission {
    const previous = this.load();
    const decision = admitToWindow(previous, now, policy);
    const keptCount = decision.events.length - (decision.admitted ? 1 : 0);
    // Stored entries that left the window are deleted in batches: one DELETE per request would
    // scan a busy window's table every time, and a reload filters old entries out anyway.
    this.agedOutStored += previous.length - keptCount;
    if (this.agedOutStored >= AGED_OUT_BATCH) {
      this.storage.ifStored(undefined, (sql) =>
        sql.exec(`DELETE FROM ${this.table} WHERE at <= ?`, now - policy.windowMs),
      );
      this.agedOutStored = 0;
    }
    this.events = decision.events;
    if (!decision.admitted) {
      return { admitted: false, limit: policy.limit, retryAfterSeconds: toSeconds(decision.retryAfterMs) };
    }
    this.storage.store((sql) => sql.exec(`INSERT INTO ${this.table} (at) VALUES (?)`, now));
    return {
      admitted: true,
      limit: policy.limit,
      remaining: decision.remaining,
      resetSeconds: toSeconds(decision.resetMs),
    };
  }

  /** Takes back the most recently admitted request, if any: its place in the window is free again. */
  refundNewest(): void {
    const events = this.load();
    if (events.length === 0) return;
    this.storage.ifStored(undefined, (sql) =>
      sql.exec(`DELETE FROM ${this.table} WHERE rowid = (SELECT rowid FROM ${this.table} ORDER BY at DESC LIMIT 1)`),
    );
    this.events = events.slice(0, -1);
  }

  /**
   * Drops what has left the window; returns when the rest will have left it (the newest entry's
   * time plus the window), or -Infinity when nothing is left.
   */
  prune(now: number, windowMs: number): number {
    this.storage.ifStored(undefined, (sql) => sql.exec(`DELETE FROM ${this.table} WHERE at <= ?`, now - windowMs));
    this.events = null;
    this.agedOutStored = 0;
    // Loaded in time order: the newest entry is the last.
    const newest = this.load().at(-1);
    return newest === undefined ? Number.NEGATIVE_INFINITY : newest + windowMs;
  }
}
