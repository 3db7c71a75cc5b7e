import { and, eq, inArray, isNull, or, type SQL } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Database } from "./client";
import { teamMembers } from "./schema";

export interface OwnedColumns {
  userId: SQLiteColumn;
  teamId: SQLiteColumn;
}

/**
 * The tenant filter every query on owned rows carries: the caller's own personal rows, or rows
 * of a team the caller is a member of right now (read from D1, never from a token).
 */
export function visibleTo(db: Database, columns: OwnedColumns, callerId: string): SQL {
  const myTeams = db.select({ teamId: teamMembers.teamId }).from(teamMembers).where(eq(teamMembers.userId, callerId));
  return or(and(eq(columns.userId, callerId), isNull(columns.teamId)), inArray(columns.teamId, myTeams)) as SQL;
}

/** Rows of one owner: the caller's personal rows, or one team's (membership still required). */
export function ownedBy(db: Database, columns: OwnedColumns, callerId: string, teamId: string | null): SQL {
  if (teamId === null) return and(eq(columns.userId, callerId), isNull(columns.teamId)) as SQL;
  return and(eq(columns.teamId, teamId), visibleTo(db, columns, callerId)) as SQL;
}
