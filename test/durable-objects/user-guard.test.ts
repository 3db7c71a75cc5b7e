import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, env, expectProblem, registerUser } from "../helpers/api";
import { injectClock, ManualClock } from "../helpers/clock";
import { holdsNoStorage, runAlarm, storedState } from "../helpers/guard-storage";

const guardOf = (userId: string) => env.USER_GUARD.get(env.USER_GUARD.idFromName(userId));
const admitSession = (sessionId: string, tokenId = "jti_aaaaaaaaaaaaaaaa", createdAt = Date.now()) => ({
  credential: { kind: "session" as const, sessionId, tokenId, createdAt },
});
const admitKey = (keyId: string, createdAt = Date.now()) => ({
  credential: { kind: "api_key" as const, keyId, createdAt },
});

describe("UserGuard", () => {
  it("admits until a session is revoked, then refuses it", async () => {
    const guard = guardOf("usr_guard_one");
    expect(await guard.admit(admitSession("ses_a"))).toMatchObject({ outcome: "admitted" });
    await guard.revokeSessions(["ses_a"]);
    expect(await guard.admit(admitSession("ses_a"))).toEqual({ outcome: "revoked" });
    expect(await guard.admit(admitSession("ses_b"))).toMatchObject({ outcome: "admitted" });
  });

  it("retires a token exactly once", async () => {
    const guard = guardOf("usr_guard_two");
    const exp = Math.floor(Date.now() / 1000) + 3600;
    expect(await guard.revokeToken("jti_one_aaaaaaaaaaaa", exp)).toBe(true);
    expect(await guard.revokeToken("jti_one_aaaaaaaaaaaa", exp)).toBe(false);
    expect(await guard.admit(admitSession("ses_c", "jti_one_aaaaaaaaaaaa"))).toEqual({ outcome: "revoked" });
  });

  it("keeps revocations across a restart: they live in SQLite storage", async () => {
    const guard = guardOf("usr_guard_three");
    await guard.revokeSessions(["ses_persisted"]);
    await evictDurableObject(guard);
    expect(await guardOf("usr_guard_three").admit(admitSession("ses_persisted"))).toEqual({ outcome: "revoked" });
  });

  it("drops entries once no token carrying them can be valid, and keeps the rest", async () => {
    const guard = guardOf("usr_guard_four");
    await guard.revokeSessions(["ses_old", "ses_new"]);
    await runInDurableObject(guard, (_instance, state) => {
      state.storage.sql.exec("UPDATE revoked SET expires_at = ? WHERE id = 'ses_old'", Date.now() - 1000);
    });
    expect(await runDurableObjectAlarm(guard)).toBe(true);
    const remaining = await runInDurableObject(guard, (_instance, state) =>
      state.storage.sql
        .exec<{ id: string }>("SELECT id FROM revoked")
        .toArray()
        .map((row) => row.id),
    );
    expect(remaining).toEqual(["ses_new"]);
    expect(await runInDurableObject(guard, (_instance, state) => state.storage.getAlarm())).not.toBeNull();
  });
});

describe("UserGuard cut-offs: everything created up to now is void, in one call", () => {
  it("refuses sessions and keys created at or before the cut-off, and admits those created after", async () => {
    const guard = guardOf("usr_guard_cut_off");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    const before = clock.time - 1;
    const { cutOff, keptSessionId } = await guard.revokeIssuedBeforeNow({ sessions: true, apiKeys: true });
    expect([cutOff, keptSessionId]).toEqual([clock.time, null]);
    expect(await guard.admit(admitSession("ses_old", "jti_old_aaaaaaaaaaaa", before))).toEqual({ outcome: "revoked" });
    expect(await guard.admit(admitSession("ses_same_ms", "jti_same_aaaaaaaaaaa", cutOff))).toEqual({
      outcome: "revoked",
    });
    expect(await guard.admit(admitKey("key_old", before))).toEqual({ outcome: "revoked" });
    expect(await guard.admit(admitSession("ses_new", "jti_new_aaaaaaaaaaaa", cutOff + 1))).toMatchObject({
      outcome: "admitted",
    });
    expect(await guard.admit(admitKey("key_new", cutOff + 1))).toMatchObject({ outcome: "admitted" });
  });

  it("voids only the kinds asked for: a sessions-only cut-off leaves keys alone", async () => {
    const guard = guardOf("usr_guard_sessions_only");
    const { cutOff } = await guard.revokeIssuedBeforeNow({ sessions: true, apiKeys: false });
    expect(await guard.admit(admitSession("ses_old", undefined, cutOff - 1))).toEqual({ outcome: "revoked" });
    expect(await guard.admit(admitKey("key_old", cutOff - 1))).toMatchObject({ outcome: "admitted" });
  });

  it("keeps the one session a password change names, until the next cut-off", async () => {
    const guard = guardOf("usr_guard_keep");
    const created = Date.now() - 1000;
    const kept = { sessionId: "ses_current", createdAt: created };
    const first = await guard.revokeIssuedBeforeNow({ sessions: true, apiKeys: false, keepSession: kept });
    expect(first.keptSessionId).toBe("ses_current");
    expect(await guard.admit(admitSession("ses_current", undefined, created))).toMatchObject({ outcome: "admitted" });
    expect(await guard.admit(admitSession("ses_other", undefined, created))).toEqual({ outcome: "revoked" });
    // Changing the password again from the same session keeps it again.
    await guard.revokeIssuedBeforeNow({ sessions: true, apiKeys: false, keepSession: kept });
    expect(await guard.admit(admitSession("ses_current", undefined, created))).toMatchObject({ outcome: "admitted" });
    // A logout-all (no session kept) ends it.
    await guard.revokeIssuedBeforeNow({ sessions: true, apiKeys: false });
    expect(await guard.admit(admitSession("ses_current", undefined, created))).toEqual({ outcome: "revoked" });
  });

  it("does not bring back a session an earlier cut-off voided (a change racing a logout-all)", async () => {
    const guard = guardOf("usr_guard_no_revival");
    const created = Date.now() - 1000;
    await guard.revokeIssuedBeforeNow({ sessions: true, apiKeys: false });
    const late = await guard.revokeIssuedBeforeNow({
      sessions: true,
      apiKeys: false,
      keepSession: { sessionId: "ses_voided", createdAt: created },
    });
    expect(late.keptSessionId).toBeNull();
    expect(await guard.admit(admitSession("ses_voided", undefined, created))).toEqual({ outcome: "revoked" });
  });

  it("never moves a cut-off back when the clock does", async () => {
    const guard = guardOf("usr_guard_monotonic");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    const first = await guard.revokeIssuedBeforeNow({ sessions: true, apiKeys: true });
    clock.advance(-5_000);
    const second = await guard.revokeIssuedBeforeNow({ sessions: true, apiKeys: true });
    expect(second.cutOff).toBe(first.cutOff);
    expect(await guard.admit(admitKey("key_between", first.cutOff - 1))).toEqual({ outcome: "revoked" });
  });

  it("keeps cut-offs for good: across a restart and every alarm, with no alarm of their own", async () => {
    const guard = guardOf("usr_guard_cut_off_kept");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    const { cutOff } = await guard.revokeIssuedBeforeNow({ sessions: true, apiKeys: true });
    expect(await storedState(guard)).toMatchObject({ alarm: null });
    await evictDurableObject(guard);
    const restarted = guardOf("usr_guard_cut_off_kept");
    expect(await restarted.admit(admitKey("key_old", cutOff))).toEqual({ outcome: "revoked" });
    await injectClock(restarted, clock);
    // An admitted request sets the window's alarm; its cleanup must leave the cut-offs alone.
    expect(await restarted.admit(admitSession("ses_new", undefined, cutOff + 1))).toMatchObject({
      outcome: "admitted",
    });
    clock.advance(400 * 24 * 60 * 60_000);
    expect(await runAlarm(restarted)).toBe(true);
    expect(await storedState(restarted)).toMatchObject({ tables: expect.arrayContaining(["cut_offs"]), alarm: null });
    expect(await restarted.admit(admitSession("ses_old", undefined, cutOff))).toEqual({ outcome: "revoked" });
  });
});

describe("a revoked key stays revoked in the guard until D1 is known to hold the revocation", () => {
  const DAY = 24 * 60 * 60_000;

  it("an unconfirmed revocation outlives every alarm; a confirmed one goes a day after", async () => {
    const guard = guardOf("usr_guard_key_confirm");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    const start = clock.time;
    await guard.revokeApiKey("key_unconfirmed", start);
    await guard.revokeApiKey("key_confirmed", start);
    await guard.confirmApiKeyRevocation("key_confirmed", start);
    expect((await storedState(guard)).alarm).toBe(start + DAY);

    clock.advance(DAY);
    expect(await runAlarm(guard)).toBe(true);
    expect(await guard.admit(admitKey("key_confirmed", start - 1))).toMatchObject({ outcome: "admitted" });
    expect(await guard.admit(admitKey("key_unconfirmed", start - 1))).toEqual({ outcome: "revoked" });
    clock.advance(365 * DAY);
    expect(await runAlarm(guard)).toBe(true);
    expect(await guard.admit(admitKey("key_unconfirmed", start - 1))).toEqual({ outcome: "revoked" });
    expect(await holdsNoStorage(guard)).toBe(false);
  });

  it("does not confirm a revocation earlier than the one D1 holds (a roll's later end)", async () => {
    const guard = guardOf("usr_guard_key_confirm_later");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    const now = clock.time;
    await guard.revokeApiKey("key_mixed", now);
    // D1 holds only a roll's end an hour ahead: the guard's "now" stays unconfirmed.
    await guard.confirmApiKeyRevocation("key_mixed", now + 60 * 60_000);
    clock.advance(30 * DAY);
    await runAlarm(guard);
    expect(await guard.admit(admitKey("key_mixed", now - 1))).toEqual({ outcome: "revoked" });
  });
});

describe("UserGuard storage", () => {
  const MINUTE = 60_000;
  const DAY = 24 * 60 * MINUTE;

  it("wakes when the first thing runs out, and holds no storage once the window and revocations are over", async () => {
    const guard = guardOf("usr_guard_storage");
    const clock = new ManualClock();
    await injectClock(guard, clock);
    const start = clock.time;
    expect(await guard.admit(admitSession("ses_live"))).toMatchObject({ outcome: "admitted" });
    await guard.revokeSessions(["ses_gone"]);
    await guard.revokeApiKey("key_gone", start);
    await guard.confirmApiKeyRevocation("key_gone", start);
    expect(await storedState(guard)).toEqual({
      tables: ["cut_offs", "request_window", "revoked", "revoked_api_keys", "settings", "signal_counts", "signal_seen"],
      alarm: start + MINUTE,
    });

    clock.advance(MINUTE);
    expect(await runAlarm(guard)).toBe(true);
    // The revoked key is remembered for a day, the session for as long as its tokens can live (7 days).
    expect((await storedState(guard)).alarm).toBe(start + DAY);
    clock.advance(DAY);
    expect(await runAlarm(guard)).toBe(true);
    expect(await guard.admit(admitKey("key_gone"))).toMatchObject({
      outcome: "admitted",
    });
    clock.advance(8 * DAY);
    expect(await runAlarm(guard)).toBe(true);
    expect(await holdsNoStorage(guard)).toBe(true);

    // The emptied guard still refuses what is revoked from now on.
    await guard.revokeSessions(["ses_live"]);
    expect(await guard.admit(admitSession("ses_live"))).toEqual({ outcome: "revoked" });
  });

  it("keeps the operator's limit and the erasure tombstone, which never expire, without an alarm", async () => {
    const limited = guardOf("usr_guard_limited");
    const clock = new ManualClock();
    await injectClock(limited, clock);
    await limited.setRequestLimit(1);
    expect(await limited.admit(admitSession("ses_a"))).toMatchObject({ outcome: "admitted", limit: 1 });
    clock.advance(MINUTE);
    expect(await runAlarm(limited)).toBe(true);
    expect(await storedState(limited)).toMatchObject({ alarm: null });
    expect(await limited.admit(admitSession("ses_a"))).toMatchObject({ outcome: "admitted", limit: 1 });

    const erased = guardOf("usr_guard_erased");
    await erased.eraseUser();
    expect(await storedState(erased)).toMatchObject({ tables: expect.arrayContaining(["settings"]) });
    expect(await erased.admit(admitSession("ses_b"))).toEqual({ outcome: "revoked" });
  });

  it("stores nothing when there is nothing to revoke (a user without sessions or keys)", async () => {
    const guard = guardOf("usr_guard_untouched");
    await guard.revokeSessions([]);

    expect(await holdsNoStorage(guard)).toBe(true);
  });
});

describe("when the user's guard fails", () => {
  it("refuses the request with 503 instead of letting it through", async () => {
    const user = await registerUser();
    // A guard has tables once it has stored something: one admitted request.
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    await runInDurableObject(guardOf(user.id), (_instance, state) => {
      // Break the instance's storage: every admit now throws inside the Durable Object.
      state.storage.sql.exec("DROP TABLE revoked");
    });
    await expectProblem(await api("GET", "/v1/me", { token: user.token }), 503, "unavailable");
  });
});
