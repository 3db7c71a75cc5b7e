import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, env, expectProblem, registerUser } from "../helpers/api";

const guardOf = (userId: string) => env.USER_GUARD.get(env.USER_GUARD.idFromName(userId));
const admitSession = (sessionId: string, tokenId = "jti_aaaaaaaaaaaaaaaa") => ({
  credential: { kind: "session" as const, sessionId, tokenId },
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

describe("when the user's guard fails", () => {
  it("refuses the request with 503 instead of letting it through", async () => {
    const user = await registerUser();
    await runInDurableObject(guardOf(user.id), (_instance, state) => {
      // Break the instance's storage: every admit now throws inside the Durable Object.
      state.storage.sql.exec("DROP TABLE revoked");
    });
    await expectProblem(await api("GET", "/v1/me", { token: user.token }), 503, "unavailable");
  });
});
