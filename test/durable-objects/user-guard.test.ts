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
      tables: ["cut_offs", "request_window", "revoked", "revoked_api_keys", "settings"],
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
