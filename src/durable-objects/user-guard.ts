import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { CLOCK_SKEW_SECONDS, TOKEN_LIFETIME_SECONDS } from "../crypto/jwt";
import type { Bindings } from "../env";
import { parseArgument } from "./rpc-arguments";

const admitRequestSchema = z.object({
  credential: z.object({ kind: z.literal("session"), sessionId: z.string().min(1), tokenId: z.string().min(1) }),
});
export type AdmitRequest = z.infer<typeof admitRequestSchema>;
export type AdmitResult = { outcome: "admitted" } | { outcome: "revoked" };

const idListSchema = z.array(z.string().min(1)).max(10_000);
const tokenIdSchema = z.string().min(1);
const epochSecondsSchema = z.int().positive();

/**
 * One instance per user id. Every authenticated request of the user makes exactly one call
 * here (`admit`), so a revocation written here is seen by the very next request from any
 * isolate or location: the instance serialises all calls for its user.
 *
 * Storage (SQLite): `revoked(kind, id, expires_at)` holds revoked session ids and token ids
 * (jti) until no token that carries them can still be valid; the alarm drops the rest.
 */
export class UserGuard extends DurableObject<Bindings> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS revoked (
      kind TEXT NOT NULL CHECK (kind IN ('session', 'token')),
      id TEXT NOT NULL,
      expires_at INTEGER NOT NULL,
      PRIMARY KEY (kind, id)
    )`);
  }

  async admit(request: AdmitRequest): Promise<AdmitResult> {
    const { credential } = parseArgument(admitRequestSchema, request, "admit request");
    const revoked = this.sql
      .exec(
        `SELECT 1 FROM revoked WHERE (kind = 'session' AND id = ?) OR (kind = 'token' AND id = ?) LIMIT 1`,
        credential.sessionId,
        credential.tokenId,
      )
      .toArray();
    return revoked.length > 0 ? { outcome: "revoked" } : { outcome: "admitted" };
  }

  /**
   * Revokes sessions: every token of them fails from the next request on. A token of a session
   * is at most TOKEN_LIFETIME old, so the entry can go once that (plus clock skew) has passed.
   */
  async revokeSessions(sessionIds: string[]): Promise<void> {
    const ids = parseArgument(idListSchema, sessionIds, "session ids");
    const keepUntil = Date.now() + (TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) * 1000;
    for (const id of ids) {
      this.sql.exec(
        `INSERT INTO revoked (kind, id, expires_at) VALUES ('session', ?, ?)
         ON CONFLICT (kind, id) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
        id,
        keepUntil,
      );
    }
    await this.scheduleCleanup(keepUntil);
  }

  /**
   * Revokes one token (refresh retires the token it was called with). Returns false when the
   * token was already revoked, so two concurrent refreshes with one token cannot both succeed.
   */
  async revokeToken(tokenId: string, tokenExpiresAtSeconds: number): Promise<boolean> {
    const id = parseArgument(tokenIdSchema, tokenId, "token id");
    const expiresAt = parseArgument(epochSecondsSchema, tokenExpiresAtSeconds, "token expiry");
    const keepUntil = (expiresAt + CLOCK_SKEW_SECONDS) * 1000;
    const inserted = this.sql
      .exec(
        `INSERT INTO revoked (kind, id, expires_at) VALUES ('token', ?, ?) ON CONFLICT (kind, id) DO NOTHING RETURNING id`,
        id,
        keepUntil,
      )
      .toArray();
    await this.scheduleCleanup(keepUntil);
    return inserted.length === 1;
  }

  override async alarm(): Promise<void> {
    this.sql.exec(`DELETE FROM revoked WHERE expires_at <= ?`, Date.now());
    const next = this.sql.exec<{ next: number | null }>(`SELECT min(expires_at) AS next FROM revoked`).one().next;
    if (next !== null) await this.ctx.storage.setAlarm(next);
  }

  private async scheduleCleanup(at: number): Promise<void> {
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }
}
