import { and, eq, lt, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { ApiError } from "../errors";

/**
 * Keyset pagination over (createdAt, id), newest first. The cursor is opaque to clients: the
 * position of the last row of the previous page, base64url-encoded, never an offset.
 */
export interface CursorPosition {
  createdAt: Date;
  id: string;
}

export function encodeCursor(row: CursorPosition): string {
  return btoa(`${row.createdAt.getTime()}:${row.id}`).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeCursor(cursor: string | undefined): CursorPosition | undefined {
  if (cursor === undefined) return undefined;
  try {
    const [time, id] = atob(cursor.replaceAll("-", "+").replaceAll("_", "/")).split(":");
    const createdAt = new Date(Number(time));
    if (!id || !/^[a-z]+_[A-Za-z0-9_-]+$/.test(id) || Number.isNaN(createdAt.getTime())) throw new Error("bad cursor");
    return { createdAt, id };
  } catch {
    throw new ApiError("validation_failed", { errors: [{ path: "cursor", message: "is not a valid cursor" }] });
  }
}

/** Rows strictly after the cursor in (createdAt desc, id desc) order. */
export function afterCursor(
  columns: { createdAt: SQLiteColumn; id: SQLiteColumn },
  cursor: CursorPosition | undefined,
): SQL | undefined {
  if (!cursor) return undefined;
  return or(
    lt(columns.createdAt, cursor.createdAt),
    and(eq(columns.createdAt, cursor.createdAt), lt(columns.id, cursor.id)),
  );
}

/** Splits a `limit + 1` result into the page and the cursor of the next one. */
export function toPage<T extends CursorPosition>(rows: T[], limit: number): { rows: T[]; nextCursor: string | null } {
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { rows: page, nextCursor: rows.length > limit && last ? encodeCursor(last) : null };
}
