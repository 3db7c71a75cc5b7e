import { toSeconds } from "../domain/seconds";
import { admitToWindow, type WindowPolicy } from "../domain/sliding-window";

export type WindowAdmission =
  | { admitted: true; limit: number; remaining: number; resetSeconds: number }
  | { admitted: false; limit: number; retryAfterSeconds: number };

/**
 * An exact rolling request window kept in a Durable Object's SQLite storage (one row per
 * admitted request still inside the window, so at most `limit` rows), mirrored in memory so a
 * decision costs no read. Eviction or a restart reloads it: no counter is ever reset by them.
 */
export class RequestWindow {
  private events: number[] | null = null;

  constructor(
    private readonly sql: SqlStorage,
    private readonly table: string,
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (at INTEGER NOT NULL)`);
  }

  private load(): number[] {
    this.events ??= this.sql
      .exec<{ at: number }>(`SELECT at FROM ${this.table} ORDER BY at`)
      .toArray()
      .map((row) => row.at);
    return this.events;
  }

  /** Admits one request at `now` if the window has room; a refusal stores nothing. */
  admit(now: number, policy: WindowPolicy): WindowAdmission {
    const previous = this.load();
    const decision = admitToWindow(previous, now, policy);
    const keptCount = decision.events.length - (decision.admitted ? 1 : 0);
    if (keptCount < previous.length) this.sql.exec(`DELETE FROM ${this.table} WHERE at <= ?`, now - policy.windowMs);
    this.events = decision.events;
    if (!decision.admitted) {
      return { admitted: false, limit: policy.limit, retryAfterSeconds: toSeconds(decision.retryAfterMs) };
    }
    this.sql.exec(`INSERT INTO ${this.table} (at) VALUES (?)`, now);
    return {
      admitted: true,
      limit: policy.limit,
      remaining: decision.remaining,
      resetSeconds: toSeconds(decision.resetMs),
    };
  }

  /** Drops what has left the window; says whether anything is left. */
  prune(now: number, windowMs: number): boolean {
    this.sql.exec(`DELETE FROM ${this.table} WHERE at <= ?`, now - windowMs);
    this.events = null;
    return this.load().length > 0;
  }
}
