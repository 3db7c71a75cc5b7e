import { env } from "cloudflare:workers";

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Puts `count` live sessions of a user straight into D1, in one statement: what an attacker who
 * knows the password leaves by signing in that often (before the 100-session cap existed, or
 * past it by racing). Nobody holds a token of them. They were created a minute ago and last seen
 * at `lastSeenAt` (by default an hour ago, so that any real session is more recently used).
 */
export async function insertSessions(userId: string, count: number, lastSeenAt = Date.now() - 60 * 60_000) {
  const now = Date.now();
  await env.DB.prepare(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, ip, user_agent, revoked_at)
     SELECT ? || i, ?, ?, ?, ?, '198.51.100.7', 'bulk', NULL FROM n`,
  )
    .bind(count, `ses_bulk_${crypto.randomUUID()}_`, userId, now - 60_000, lastSeenAt, now + 7 * DAY_MS)
    .run();
}

/** How many sessions of the user D1 shows live (not revoked, not expired). */
export async function liveSessionCount(userId: string): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?",
  )
    .bind(userId, Date.now())
    .first<{ n: number }>();
  return row?.n ?? 0;
}
