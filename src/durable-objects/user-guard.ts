import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { CLOCK_SKEW_SECONDS, TOKEN_LIFETIME_SECONDS } from "../crypto/jwt";
import type { Bindings } from "../env";
import { GuardStorage } from "./guard-storage";
import { REQUEST_WINDOW_COLUMNS, RequestWindow } from "./request-window";
import { parseArgument } from "./rpc-arguments";

const admitRequestSchema = z.object({
  credential: z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("session"), sessionId: z.string().min(1), tokenId: z.string().min(1) }),
    z.object({ kind: z.literal("api_key"), keyId: z.string().min(1) }),
  ]),
});
export type AdmitRequest = z.infer<typeof admitRequestSchema>;
export type AdmitResult =
  | { outcome: "admitted"; limit: number; remaining: number; resetSeconds: number }
  | { outcome: "rate_limited"; limit: number; retryAfterSeconds: number }
  | { outcome: "revoked" };

/** API.md "Limits": 100 requests in any rolling 60 s unless the operator set another limit. */
export const DEFAULT_REQUESTS_PER_MINUTE = 100;
const MINUTE_MS = 60_000;

const idListSchema = z.array(z.string().min(1)).max(10_000);
const tokenIdSchema = z.string().min(1);
const epochSecondsSchema = z.int().positive();
const epochMsSchema = z.int().nonnegative();

/**
 * A revoked key's entry must outlive every isolate's cached lookup of it (API_KEY_CACHE_TTL_MS in
 * the Worker); after that, D1's own revoked_at is what every lookup sees. A day is ample.
 */
const API_KEY_REVOCATION_MEMORY_MS = 24 * 60 * 60 * 1000;

/**
 * One instance per user id. Every authenticated request of the user makes exactly one call
 * here (`admit`), so a revocation written here is seen by the very next request from any
 * isolate or location: the instance serialises all calls for its user.
 *
 * Storage (see guard-storage.ts): `revoked(kind, id, expires_at)` holds revoked session ids and
 * token ids (jti) until no token that carries them can still be valid; `revoked_api_keys(id,
 * effective_at, keep_until)` holds API keys that stop working at `effective_at` (now for a
 * revocation, later for a roll's grace period); `request_window` one row per request of the last
 * minute; `settings` the operator's request limit and the erasure tombstone, which never expire.
 * The alarm drops entries that have aged out; a user with nothing left keeps no storage.
 */
export class UserGuard extends DurableObject<Bindings> {
  /** The clock; tests replace it to walk past a grace period without waiting. */
  now: () => number = () => Date.now();
  private readonly storage: GuardStorage;
  private readonly requests: RequestWindow;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.storage = new GuardStorage(ctx.storage, {
      revoked: `kind TEXT NOT NULL CHECK (kind IN ('session', 'token')),
        id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (kind, id)`,
      revoked_api_keys: "id TEXT PRIMARY KEY, effective_at INTEGER NOT NULL, keep_until INTEGER NOT NULL",
      request_window: REQUEST_WINDOW_COLUMNS,
      settings: "name TEXT PRIMARY KEY, value INTEGER NOT NULL",
    });
    this.requests = new RequestWindow(this.storage, "request_window");
  }

  /**
   * The one call every authenticated request makes: is the credential revoked, and does the
   * user's rolling 60 s window have room? JWT and API-key requests share the window. A revoked
   * credential or a refusal uses no budget.
   */
  async admit(request: AdmitRequest): Promise<AdmitResult> {
    const { credential } = parseArgument(admitRequestSchema, request, "admit request");
    const now = this.now();
    if (this.isRevoked(credential, now)) return { outcome: "revoked" };
    const admission = this.requests.admit(now, { limit: this.requestLimit(), windowMs: MINUTE_MS });
    if (!admission.admitted) return { outcome: "rate_limited", ...admission };
    await this.storage.wakeBy(now + MINUTE_MS);
    const { admitted: _, ...headers } = admission;
    return { outcome: "admitted", ...headers };
  }

  /** The operator's plan or custom limit; it applies from the next request on. */
  async setRequestLimit(requestsPerMinute: number): Promise<void> {
    const limit = parseArgument(z.int().min(1).max(1_000_000), requestsPerMinute, "request limit");
    this.storage.store((sql) =>
      sql.exec(
        "INSERT INTO settings (name, value) VALUES ('requests_per_minute', ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        limit,
      ),
    );
    this.limitCache = limit;
  }

  private limitCache: number | null = null;

  private requestLimit(): number {
    this.limitCache ??=
      this.storage.ifStored(undefined, (sql) =>
        sql.exec<{ value: number }>("SELECT value FROM settings WHERE name = 'requests_per_minute'").toArray().at(0),
      )?.value ?? DEFAULT_REQUESTS_PER_MINUTE;
    return this.limitCache;
  }

  /**
   * The user was erased: everything kept here is dropped, and a tombstone stays so that every
   * credential ever issued to the user is refused from the next request on.
   */
  async eraseUser(): Promise<void> {
    this.storage.store((sql) => {
      for (const table of ["revoked", "revoked_api_keys", "request_window", "settings"])
        sql.exec(`DELETE FROM ${table}`);
      sql.exec("INSERT INTO settings (name, value) VALUES ('erased', 1)");
    });
    this.erased = true;
    this.limitCache = null;
    this.requests.prune(this.now(), 0);
  }

  private erased: boolean | null = null;

  private isErased(): boolean {
    this.erased ??= this.storage.ifStored(
      false,
      (sql) => sql.exec("SELECT 1 FROM settings WHERE name = 'erased'").toArray().length > 0,
    );
    return this.erased;
  }

  private isRevoked(credential: AdmitRequest["credential"], now: number): boolean {
    if (this.isErased()) return true;
    return this.storage.ifStored(false, (sql) => {
      if (credential.kind === "api_key") {
        return (
          sql.exec("SELECT 1 FROM revoked_api_keys WHERE id = ? AND effective_at <= ?", credential.keyId, now).toArray()
            .length > 0
        );
      }
      return (
        sql
          .exec(
            `SELECT 1 FROM revoked WHERE (kind = 'session' AND id = ?) OR (kind = 'token' AND id = ?) LIMIT 1`,
            credential.sessionId,
            credential.tokenId,
          )
          .toArray().length > 0
      );
    });
  }

  /**
   * Revokes sessions: every token of them fails from the next request on. A token of a session
   * is at most TOKEN_LIFETIME old, so the entry can go once that (plus clock skew) has passed.
   */
  async revokeSessions(sessionIds: string[]): Promise<void> {
    const ids = parseArgument(idListSchema, sessionIds, "session ids");
    if (ids.length === 0) return;
    const keepUntil = this.now() + (TOKEN_LIFETIME_SECONDS + CLOCK_SKEW_SECONDS) * 1000;
    this.storage.store((sql) => {
      for (const id of ids) {
        sql.exec(
          `INSERT INTO revoked (kind, id, expires_at) VALUES ('session', ?, ?)
           ON CONFLICT (kind, id) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
          id,
          keepUntil,
        );
      }
    });
    await this.storage.wakeBy(keepUntil);
  }

  /**
   * Revokes one token (refresh retires the token it was called with). Returns false when the
   * token was already revoked, so two concurrent refreshes with one token cannot both succeed.
   */
  async revokeToken(tokenId: string, tokenExpiresAtSeconds: number): Promise<boolean> {
    const id = parseArgument(tokenIdSchema, tokenId, "token id");
    const expiresAt = parseArgument(epochSecondsSchema, tokenExpiresAtSeconds, "token expiry");
    const keepUntil = (expiresAt + CLOCK_SKEW_SECONDS) * 1000;
    const inserted = this.storage.store((sql) =>
      sql
        .exec(
          `INSERT INTO revoked (kind, id, expires_at) VALUES ('token', ?, ?) ON CONFLICT (kind, id) DO NOTHING RETURNING id`,
          id,
          keepUntil,
        )
        .toArray(),
    );
    await this.storage.wakeBy(keepUntil);
    return inserted.length === 1;
  }

  /**
   * API keys stop working at `effectiveAt` (pass now to revoke at once). An earlier revocation
   * is never pushed back by a later one.
   */
  async revokeApiKeys(keyIds: string[], effectiveAt: number): Promise<void> {
    const ids = parseArgument(idListSchema, keyIds, "key ids");
    const at = parseArgument(epochMsSchema, effectiveAt, "effective time");
    if (ids.length === 0) return;
    const keepUntil = at + API_KEY_REVOCATION_MEMORY_MS;
    this.storage.store((sql) => {
      for (const id of ids) {
        sql.exec(
          `INSERT INTO revoked_api_keys (id, effective_at, keep_until) VALUES (?, ?, ?)
           ON CONFLICT (id) DO UPDATE SET effective_at = min(effective_at, excluded.effective_at),
             keep_until = max(keep_until, excluded.keep_until)`,
          id,
          at,
          keepUntil,
        );
      }
    });
    await this.storage.wakeBy(keepUntil);
  }

  /** Drops revocations no token or key can need any more and requests that left the window. */
  override async alarm(): Promise<void> {
    const now = this.now();
    const revocationsEndAt = this.storage.ifStored(Number.NEGATIVE_INFINITY, (sql) => {
      sql.exec("DELETE FROM revoked WHERE expires_at <= ?", now);
      sql.exec("DELETE FROM revoked_api_keys WHERE keep_until <= ?", now);
      const { next } = sql
        .exec<{ next: number | null }>(
          "SELECT min(at) AS next FROM (SELECT min(expires_at) AS at FROM revoked UNION ALL SELECT min(keep_until) FROM revoked_api_keys)",
        )
        .one();
      return next ?? Number.NEGATIVE_INFINITY;
    });
    // The settings never expire: with them the storage stays, without an alarm.
    await this.storage.finishCleanup(now, [revocationsEndAt, this.requests.prune(now, MINUTE_MS)]);
  }
}
