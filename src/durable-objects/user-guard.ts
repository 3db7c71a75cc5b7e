import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { CLOCK_SKEW_SECONDS, TOKEN_LIFETIME_SECONDS } from "../crypto/jwt";
import { signalContextSchema } from "../domain/security-signals";
import type { Bindings } from "../env";
import { GuardStorage } from "./guard-storage";
import { REQUEST_WINDOW_COLUMNS, RequestWindow } from "./request-window";
import { parseArgument } from "./rpc-arguments";
import { SIGNAL_COUNTER_TABLES, SignalCounter, serviceRows } from "./signal-counter";

const epochMsSchema = z.int().nonnegative();

/**
 * `createdAt` (epoch ms) is when the session began (from the verified token's claims) or when
 * the key was created (from its D1 row): what the user's cut-offs are compared with.
 */
const admitRequestSchema = z.object({
  credential: z.discriminatedUnion("kind", [
    z.object({
      kind: z.literal("session"),
      sessionId: z.string().min(1),
      tokenId: z.string().min(1),
      createdAt: epochMsSchema,
    }),
    z.object({ kind: z.literal("api_key"), keyId: z.string().min(1), createdAt: epochMsSchema }),
  ]),
  /** The request's context, for counting a refusal (429) as a signal; this instance cannot know it. */
  signalContext: signalContextSchema.optional(),
});
export type AdmitRequest = z.infer<typeof admitRequestSchema>;
export type AdmitResult =
  | { outcome: "admitted"; limit: number; remaining: number; resetSeconds: number }
  | { outcome: "rate_limited"; limit: number; retryAfterSeconds: number }
  | { outcome: "revoked" };

/** API.md "Limits": 100 requests in any rolling 60 s unless the operator set another limit. */
export const DEFAULT_REQUESTS_PER_MINUTE = 100;
const MINUTE_MS = 60_000;

/**
 * Ids are only ever revoked a few at a time (a logout, a deleted session, the sessions a sign-in
 * evicts past the cap): everything at once goes through the cut-offs, whatever the counts.
 */
const idListSchema = z.array(z.string().min(1)).max(100);
const idSchema = z.string().min(1);
const epochSecondsSchema = z.int().positive();

const cutOffRequestSchema = z.strictObject({
  sessions: z.boolean(),
  apiKeys: z.boolean(),
  keepSession: z.strictObject({ sessionId: z.string().min(1), createdAt: epochMsSchema }).optional(),
});
export type CutOffRequest = z.infer<typeof cutOffRequestSchema>;
export interface CutOffResult {
  /** Everything of the kinds asked for created at or before this time (guard clock, epoch ms) is void. */
  cutOff: number;
  /** The session kept alive, when `keepSession` was given and was itself still alive. */
  keptSessionId: string | null;
}

/** `keep_until` of a key revocation D1 is not yet known to hold: kept until confirmed. */
const UNCONFIRMED = Number.MAX_SAFE_INTEGER;

/**
 * How long a confirmed key revocation is remembered: it must outlive every isolate's cached
 * lookup of the key (API_KEY_CACHE_TTL_MS in the Worker); after that, D1's own revoked_at is what
 * every lookup sees. A day is ample.
 */
const API_KEY_REVOCATION_MEMORY_MS = 24 * 60 * 60 * 1000;

type CutOffKind = "sessions" | "api_keys";
interface CutOff {
  before: number;
  keptSession: string | null;
}

/**
 * One instance per user id. Every authenticated request of the user makes exactly one call
 * here (`admit`), so a revocation written here is seen by the very next request from any
 * isolate or location: the instance serialises all calls for its user.
 *
 * Storage (see guard-storage.ts): `revoked(kind, id, expires_at)` holds revoked session ids and
 * token ids (jti) until no token that carries them can still be valid; `revoked_api_keys(id,
 * effective_at, keep_until)` holds API keys that stop working at `effective_at` (now for a
 * revocation, later for a roll's grace period), kept until D1 is known to hold the revocation and
 * a day beyond; `cut_offs(kind, before, kept_session)` the user's "everything created at or
 * before `before` is void" for sessions and for keys; `request_window` one row per request of the
 * last minute; `settings` the operator's request limit and the erasure tombstone. Cut-offs and
 * settings never expire; the alarm drops everything else once it has aged out, and a user with
 * nothing left keeps no storage.
 */
export class UserGuard extends DurableObject<Bindings> {
  /** The clock; tests replace it to walk past a grace period without waiting. */
  now: () => number = () => Date.now();
  private readonly storage: GuardStorage;
  private readonly requests: RequestWindow;
  private readonly signals: SignalCounter;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.storage = new GuardStorage(ctx.storage, {
      revoked: `kind TEXT NOT NULL CHECK (kind IN ('session', 'token')),
        id TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (kind, id)`,
      revoked_api_keys: "id TEXT PRIMARY KEY, effective_at INTEGER NOT NULL, keep_until INTEGER NOT NULL",
      // A table of its own rather than two `settings` rows: a cut-off carries the id of the one
      // session a password change keeps, which is text.
      cut_offs: `kind TEXT PRIMARY KEY CHECK (kind IN ('sessions', 'api_keys')),
        before INTEGER NOT NULL,
        kept_session TEXT`,
      request_window: REQUEST_WINDOW_COLUMNS,
      settings: "name TEXT PRIMARY KEY, value INTEGER NOT NULL",
      ...SIGNAL_COUNTER_TABLES,
    });
    this.signals = new SignalCounter(this.storage, env);
    this.requests = new RequestWindow(this.storage, "request_window");
  }

  /**
   * The one call every authenticated request makes: is the credential revoked, and does the
   * user's rolling 60 s window have room? JWT and API-key requests share the window. A revoked
   * credential or a refusal uses no budget.
   */
  async admit(request: AdmitRequest): Promise<AdmitResult> {
    const { credential, signalContext } = parseArgument(admitRequestSchema, request, "admit request");
    const now = this.now();
    if (this.isRevoked(credential, now)) return { outcome: "revoked" };
    const admission = this.requests.admit(now, { limit: this.requestLimit(), windowMs: MINUTE_MS });
    if (!admission.admitted) {
      // The user's 429s are the signal counted here (service total, address, ASN).
      if (signalContext) {
        this.signals.count(now, serviceRows(["rate_limited"], signalContext));
        await this.signals.wake(now);
      }
      return { outcome: "rate_limited", ...admission };
    }
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
      for (const table of ["revoked", "revoked_api_keys", "cut_offs", "request_window", "settings"])
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
        if (isVoidedBy(this.cutOffOf(sql, "api_keys"), credential.keyId, credential.createdAt)) return true;
        return (
          sql.exec("SELECT 1 FROM revoked_api_keys WHERE id = ? AND effective_at <= ?", credential.keyId, now).toArray()
            .length > 0
        );
      }
      if (isVoidedBy(this.cutOffOf(sql, "sessions"), credential.sessionId, credential.createdAt)) return true;
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

  private cutOffOf(sql: SqlStorage, kind: CutOffKind): CutOff | undefined {
    return sql
      .exec<{ before: number; kept_session: string | null }>(
        "SELECT before, kept_session FROM cut_offs WHERE kind = ?",
        kind,
      )
      .toArray()
      .map((row) => ({ before: row.before, keptSession: row.kept_session }))
      .at(0);
  }

  /**
   * "Everything issued up to now is void": every session (with `sessions`) and every API key
   * (with `apiKeys`) created at or before the guard's now is refused from the next request on,
   * in one write whatever their number. Logout-all, password reset and change and the operator's
   * revoke-all call this once; D1 then marks its rows revoked in bulk with the returned cut-off
   * (`created_at <= cutOff`), but the guard is the authority: if D1 fails, nothing comes back.
   *
   * `keepSession` is the one session a password change keeps ("every other session"): it is
   * stored with the session cut-off as its one exception, so no session list is needed. It is
   * kept only if it was itself alive under the previous cut-off: a request admitted just before
   * a concurrent logout-all cannot bring its session back by naming it here. A later cut-off
   * replaces the exception, so a kept session dies with the next logout-all or reset.
   * A cut-off never moves back (a clock that steps back revives nothing).
   */
  async revokeIssuedBeforeNow(request: CutOffRequest): Promise<CutOffResult> {
    const { sessions, apiKeys, keepSession } = parseArgument(cutOffRequestSchema, request, "cut-off request");
    return this.storage.store((sql) => {
      const kinds: CutOffKind[] = [
        ...(sessions ? ["sessions" as const] : []),
        ...(apiKeys ? ["api_keys" as const] : []),
      ];
      const previous = new Map(kinds.map((kind) => [kind, this.cutOffOf(sql, kind)]));
      const cutOff = Math.max(this.now(), ...[...previous.values()].map((stored) => stored?.before ?? 0));
      const keptSessionId =
        sessions && keepSession && !isVoidedBy(previous.get("sessions"), keepSession.sessionId, keepSession.createdAt)
          ? keepSession.sessionId
          : null;
      for (const kind of kinds) {
        sql.exec(
          `INSERT INTO cut_offs (kind, before, kept_session) VALUES (?, ?, ?)
           ON CONFLICT (kind) DO UPDATE SET before = excluded.before, kept_session = excluded.kept_session`,
          kind,
          cutOff,
          kind === "sessions" ? keptSessionId : null,
        );
      }
      return { cutOff, keptSessionId };
    });
  }

  /**
   * Revokes a few sessions by id (a logout, a deleted session, sessions evicted past the cap):
   * every token of them fails from the next request on. A token of a session is at most
   * TOKEN_LIFETIME old, so the entry can go once that (plus clock skew) has passed.
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
    const id = parseArgument(idSchema, tokenId, "token id");
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
   * One API key stops working at `effectiveAt` (pass now to revoke at once; an earlier
   * revocation is never pushed back by a later one). The entry is kept for as long as it is
   * unconfirmed: the Worker writes D1 after this call, and if that write fails D1 still shows the
   * key live, so the entry must not expire (it used to after a day, and the key worked again).
   * `confirmApiKeyRevocation` starts its day once D1 holds the revocation.
   */
  async revokeApiKey(keyId: string, effectiveAt: number): Promise<void> {
    const id = parseArgument(idSchema, keyId, "key id");
    const at = parseArgument(epochMsSchema, effectiveAt, "effective time");
    this.storage.store((sql) =>
      sql.exec(
        `INSERT INTO revoked_api_keys (id, effective_at, keep_until) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET effective_at = min(effective_at, excluded.effective_at),
           keep_until = excluded.keep_until`,
        id,
        at,
        UNCONFIRMED,
      ),
    );
  }

  /**
   * D1 now holds this key's revocation at `effectiveAt` (or earlier): the entry may go a day
   * after the later of that time and now, once no isolate's cached row can still show the key
   * live. An entry whose own time is earlier than what D1 holds stays unconfirmed.
   */
  async confirmApiKeyRevocation(keyId: string, effectiveAt: number): Promise<void> {
    const id = parseArgument(idSchema, keyId, "key id");
    const at = parseArgument(epochMsSchema, effectiveAt, "effective time");
    const keepUntil = Math.max(at, this.now()) + API_KEY_REVOCATION_MEMORY_MS;
    const confirmed = this.storage.ifStored([], (sql) =>
      sql
        .exec(
          "UPDATE revoked_api_keys SET keep_until = ? WHERE id = ? AND keep_until = ? AND effective_at >= ? RETURNING id",
          keepUntil,
          id,
          UNCONFIRMED,
          at,
        )
        .toArray(),
    );
    if (confirmed.length > 0) await this.storage.wakeBy(keepUntil);
  }

  /** Drops revocations no token or key can need any more and requests that left the window. */
  override async alarm(): Promise<void> {
    // First, so that everything after it reads the state as it is once the call is back.
    const signalsEndAt = await this.signals.flush(this.now());
    const now = this.now();
    const revocationsEndAt = this.storage.ifStored(Number.NEGATIVE_INFINITY, (sql) => {
      sql.exec("DELETE FROM revoked WHERE expires_at <= ?", now);
      sql.exec("DELETE FROM revoked_api_keys WHERE keep_until <= ?", now);
      // Unconfirmed key revocations stay until confirmed: no alarm for them, and the storage stays.
      const { next } = sql
        .exec<{ next: number | null }>(
          `SELECT min(at) AS next FROM (SELECT min(expires_at) AS at FROM revoked
             UNION ALL SELECT min(keep_until) FROM revoked_api_keys WHERE keep_until < ?)`,
          UNCONFIRMED,
        )
        .one();
      return next ?? Number.NEGATIVE_INFINITY;
    });
    // The cut-offs and settings never expire: with them the storage stays, without an alarm.
    await this.storage.finishCleanup(
      now,
      this.signals.endTimes([signalsEndAt, revocationsEndAt, this.requests.prune(now, MINUTE_MS)]),
    );
  }
}

/** Whether a session or key created at `createdAt` is void under `cutOff` (it is not, if it is the kept session). */
function isVoidedBy(cutOff: CutOff | undefined, id: string, createdAt: number): boolean {
  return cutOff !== undefined && createdAt <= cutOff.before && id !== cutOff.keptSession;
}
