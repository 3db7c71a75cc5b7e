import type { Context } from "hono";
import { auditContext } from "../../auth/audit-context";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { markSessionsEvicted, sessionsBeyondCap } from "../../db/sessions";
import type { AppEnv } from "../../env";
import { revokeSessionsInGuard } from "./revoke-sessions";

/** API.md "Sessions": at most 100 live sessions per user. */
export const MAX_LIVE_SESSIONS = 100;

/**
 * At most this many sessions end with one sign-in: the guard takes at most 100 ids a call. Only a
 * user who was over the cap before it existed can have more to end; each sign-in takes 100 off.
 */
const MAX_EVICTIONS_PER_SIGN_IN = 100;

/**
 * Ends the user's least recently used sessions (by last-seen) beyond the cap, once the new
 * session's row is in D1: the guard first (its ids, one call), then D1, with a
 * `session.evicted` audit row each.
 *
 * Why after the insert and "everything beyond the 100 most recent" rather than "make room, then
 * insert": two sign-ins racing at 100 would each see room, or each evict the same one, and leave
 * 101. Here each sign-in looks only after its own row is in, so the last one to look sees every
 * row inserted so far and ends all but 100 of them; what others end meanwhile only lowers the
 * count. Racing sign-ins may end one session each that the other also picked: never fewer than
 * needed, never more than 100 left.
 */
export async function evictSessionsPastCap(c: Context<AppEnv>, userId: string, newSessionId: string) {
  const db = database(c.env.DB);
  const now = new Date();
  const evicted = await sessionsBeyondCap(db, userId, {
    keep: newSessionId,
    cap: MAX_LIVE_SESSIONS,
    limit: MAX_EVICTIONS_PER_SIGN_IN,
    now,
  });
  if (evicted.length === 0) return;
  await revokeSessionsInGuard(c, userId, evicted);
  await markSessionsEvicted(db, userId, evicted, now, (sessionId, onlyIf) =>
    auditEventInsert(
      db,
      auditContext(c),
      { type: "session.evicted", userId, metadata: { sessionId, reason: "session_cap", newSessionId } },
      onlyIf,
    ),
  );
}
