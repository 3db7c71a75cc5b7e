/**
 * The one storage style and the one cleanup policy of the three guards (UserGuard, IpGuard,
 * AccountGuard).
 *
 * Storage: typed SQLite tables, one row per fact (an admitted request, a revoked id, the lock),
 * never JSON documents. It is the one style that fits all three: a user's revocations are an
 * open-ended set (a few ids a call; "everything created before T" is one row) that one
 * `DELETE … WHERE expires_at <= ?` prunes, where a document would be rewritten whole on every
 * change. Each guard declares its tables to this
 * class; they are created by the first write, not by the constructor, so an instance that is only
 * asked (is this address blocked? clear the lock of an email nobody tried) stores nothing, and an
 * instance whose storage was deleted creates them again when it next has something to keep.
 *
 * Cleanup: one alarm per instance, at the earliest time some piece of state can go (a request
 * window once its newest entry has left it, a revocation once no token can carry it, a lock once
 * it can refuse nothing), never later. Every write calls `wakeBy` with the time its own state can
 * go, and `wakeBy` only ever moves the alarm earlier, so no write can postpone the cleanup of
 * another. The alarm drops what has run out and calls `finishCleanup` with the end times of what
 * it kept: the alarm is set again for the earliest of them, or, when no table holds a row any
 * more, `deleteAll()` removes the tables and (from compatibility date 2026-02-24 on) the alarm,
 * and the instance holds no storage at all. A busy window does not wake the instance per request:
 * it can only go once its newest entry has left it, so it wakes about once per window length.
 */
export class GuardStorage {
  /** Whether the tables exist; read from storage once per instance, then kept up to date here. */
  private tablesExist: boolean | null = null;

  /** `tables`: table name → its column definitions. Names are code constants, never input. */
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly tables: Readonly<Record<string, string>>,
  ) {}

  /** Runs `run` on the tables if this instance has stored anything; answers `nothingStored` otherwise. */
  ifStored<T>(nothingStored: T, run: (sql: SqlStorage) => T): T {
    return this.hasTables() ? run(this.storage.sql) : nothingStored;
  }

  /** Runs `run` on the tables, creating them first if this instance has none. */
  store<T>(run: (sql: SqlStorage) => T): T {
    if (!this.hasTables()) this.createTables();
    return run(this.storage.sql);
  }

  /** Makes the alarm go off by `at`: sets it when there is none or it is later; never moves it later. */
  async wakeBy(at: number): Promise<void> {
    const current = await this.storage.getAlarm();
    if (current === null || current > at) await this.storage.setAlarm(at);
  }

  /**
   * Ends an alarm: `endTimes` are the times at which the state the guard kept can go (those not
   * after `now` were dropped; +Infinity for state kept until it is deleted, such as a permanent
   * block). Wakes again at the earliest future one; with none and every table empty, deletes
   * everything, the alarm included.
   */
  async finishCleanup(now: number, endTimes: readonly number[]): Promise<void> {
    const next = Math.min(...endTimes.filter((at) => at > now));
    if (Number.isFinite(next)) {
      await this.storage.setAlarm(next);
      return;
    }
    const empty = this.ifStored(true, (sql) =>
      Object.keys(this.tables).every((table) => sql.exec(`SELECT 1 FROM ${table} LIMIT 1`).toArray().length === 0),
    );
    if (!empty) return;
    // SQLite storage drops the tables when deleteAll() is called; a request delivered while its
    // promise is awaited must already see them gone (and create them again), never write to
    // tables that no longer exist.
    const deleted = this.storage.deleteAll();
    this.tablesExist = false;
    await deleted;
  }

  private hasTables(): boolean {
    if (this.tablesExist === null) {
      const names = Object.keys(this.tables);
      const placeholders = names.map(() => "?").join(", ");
      const found =
        this.storage.sql
          .exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name IN (${placeholders}) LIMIT 1`, ...names)
          .toArray().length > 0;
      // Storage written by an earlier version may lack a table declared since: complete the set.
      if (found) this.createTables();
      else this.tablesExist = false;
    }
    return this.tablesExist === true;
  }

  private createTables(): void {
    for (const [table, columns] of Object.entries(this.tables)) {
      this.storage.sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (${columns})`);
    }
    this.tablesExist = true;
  }
}
