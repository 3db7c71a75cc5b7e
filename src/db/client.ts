import { drizzle } from "drizzle-orm/d1";
import * as schema from "./schema";

const createDatabase = (d1: D1Database) => drizzle(d1, { schema });
export type Database = ReturnType<typeof createDatabase>;

// drizzle() walks the whole schema to build its relational config: once per binding and
// isolate, not on every call (it was several times per request, the largest CPU cost of a read).
const databases = new WeakMap<D1Database, Database>();

export function database(d1: D1Database): Database {
  let db = databases.get(d1);
  if (!db) {
    db = createDatabase(d1);
    databases.set(d1, db);
  }
  return db;
}

/** D1 reports a violated UNIQUE index in the message of the error it throws. */
export function isUniqueViolation(error: unknown): boolean {
  const cause = error instanceof Error ? (error.cause ?? error) : error;
  return cause instanceof Error && /UNIQUE constraint failed/i.test(cause.message);
}
