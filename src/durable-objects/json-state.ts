/**
 * One JSON document per Durable Object, in its SQLite storage: the small, bounded state of a
 * guard survives eviction and restarts, so no counter is ever reset by them.
 */
export class JsonState<T> {
  constructor(
    private readonly sql: SqlStorage,
    private readonly initial: T,
  ) {
    sql.exec("CREATE TABLE IF NOT EXISTS guard_state (name TEXT PRIMARY KEY, value TEXT NOT NULL)");
  }

  read(name: string): T {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM guard_state WHERE name = ?", name).toArray()[0];
    return row ? (JSON.parse(row.value) as T) : this.initial;
  }

  write(name: string, value: T): void {
    this.sql.exec(
      "INSERT INTO guard_state (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
      name,
      JSON.stringify(value),
    );
  }

  delete(name: string): void {
    this.sql.exec("DELETE FROM guard_state WHERE name = ?", name);
  }
}
