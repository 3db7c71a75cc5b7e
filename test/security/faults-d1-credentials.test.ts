// ASVS 5.0 V2.3.3 (business logic: an operation succeeds in its entirety or is rolled back),
// V16.5.1 (generic error body: no SQL, no stack), V16.5.3 (no fail-open), V6.4 (recovery: a
// reset link is not used up by a reset that did not happen); OWASP API2:2023 (broken
// authentication), API8:2023 (security misconfiguration: errors). D1 refuses a write in the
// middle of a credential change (a SQLite trigger raising ABORT inside the real D1 transaction):
// the API answers 5xx problem+json and D1 is exactly as before, so the change can be repeated.
// Where a change also revokes (sessions, an API key), the user's guard is told first, by design:
// a revocation the guard does not know is not enforced, so when D1 then fails the revocation
// stands (the safe side) while every D1 row is as before.
import { runDurableObjectAlarm } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, env, expectProblem, login, randomIp, registerUser } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { injectClock, ManualClock } from "../helpers/clock";
import { count, duringFault } from "../helpers/faults";
import { readOutbox, tokenFromMail, waitForMail } from "../helpers/outbox";
import { awayFromStepBoundary, codeAt } from "../helpers/totp";

const auditCount = (userId: string, type: string) =>
  count("SELECT count(*) AS n FROM audit_log WHERE user_id = ? AND type = ?", userId, type);

const loginStatus = async (email: string, password: string) =>
  (await api("POST", "/v1/auth/login", { body: { email, password } })).status;

describe("POST /v1/auth/password/reset when D1 fails part-way", () => {
  it("answers 500; the password, the session rows and the link are as before, and the same link then works", async () => {
    const user = await registerUser();
    await login(user.email, user.password, randomIp());
    expect((await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } })).status).toBe(202);
    const link = tokenFromMail(await waitForMail(user.email, /reset your/i));
    const newPassword = "a passphrase set after the fault";

    // Marking the sessions revoked comes after the password in the transaction.
    await duringFault("sessions", "UPDATE", () =>
      api("POST", "/v1/auth/password/reset", { body: { token: link, password: newPassword } }),
    );

    expect(
      await count("SELECT count(*) AS n FROM password_reset_tokens WHERE user_id = ? AND used_at IS NULL", user.id),
    ).toBe(1);
    expect(
      await count("SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NOT NULL", user.id),
    ).toBe(0);
    expect(await auditCount(user.id, "password.reset")).toBe(0);
    expect(await loginStatus(user.email, newPassword)).toBe(401);
    expect(await loginStatus(user.email, user.password)).toBe(200);
    // The guard was told first: the sessions that existed before the reset stay revoked.
    await expectProblem(await api("GET", "/v1/me", { token: user.token }), 401, "unauthorized");

    expect(
      (await api("POST", "/v1/auth/password/reset", { body: { token: link, password: newPassword } })).status,
    ).toBe(204);
    expect(await loginStatus(user.email, newPassword)).toBe(200);
    expect(await auditCount(user.id, "password.reset")).toBe(1);
  });
});

describe("POST /v1/auth/password/change when D1 fails part-way", () => {
  it("answers 500; the old password still holds and this session works; the change can then be repeated", async () => {
    const user = await registerUser();
    const other = await login(user.email, user.password, randomIp());
    const change = () =>
      api("POST", "/v1/auth/password/change", {
        token: user.token,
        body: { currentPassword: user.password, newPassword: "a changed passphrase" },
      });

    // The audit row is the last statement of the transaction.
    await duringFault("audit_log", "INSERT", change);

    expect(await auditCount(user.id, "password.changed")).toBe(0);
    expect(
      await count("SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NOT NULL", user.id),
    ).toBe(0);
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    // The other session was revoked in the guard before D1 failed: it stays revoked.
    await expectProblem(await api("GET", "/v1/me", { token: other }), 401, "unauthorized");
    expect(await loginStatus(user.email, "a changed passphrase")).toBe(401);
    expect(await loginStatus(user.email, user.password)).toBe(200);
    expect((await readOutbox(user.email)).map((mail) => mail.subject)).not.toContain(
      "Your ImageBot password was changed",
    );

    expect((await change()).status).toBe(204);
    expect(await loginStatus(user.email, "a changed passphrase")).toBe(200);
  });
});

describe("POST /v1/api-keys/{id}/roll when D1 fails part-way", () => {
  it("answers 500; no new key exists, the old one still works and is shown live; the roll can be repeated", async () => {
    const user = await registerUser();
    const old = await createKey(user.token, { scopes: ["read"] });
    const roll = () =>
      api("POST", `/v1/api-keys/${old.id}/roll`, { token: user.token, body: { gracePeriodSeconds: 3600 } });

    await duringFault("api_keys", "UPDATE", roll);

    const listed = (await (await api("GET", "/v1/api-keys", { token: user.token })).json()) as {
      data: { id: string; revokedAt: string | null }[];
    };
    expect(listed.data).toEqual([expect.objectContaining({ id: old.id, revokedAt: null })]);
    expect(await auditCount(user.id, "api_key.rolled")).toBe(0);
    expect((await api("GET", "/v1/images", { token: old.key })).status).toBe(200);

    const rolled = await roll();
    expect(rolled.status).toBe(201);
    const replacement = (await rolled.json()) as { key: string };
    expect((await api("GET", "/v1/images", { token: replacement.key })).status).toBe(200);
    expect((await api("GET", "/v1/images", { token: old.key })).status).toBe(200);
  });
});

describe("two-factor on and off when D1 fails part-way", () => {
  it("confirm and disable each answer 500 and change nothing (no half-stored backup codes); repeated, they work", async () => {
    await awayFromStepBoundary();
    const user = await registerUser();
    const enrolled = await api("POST", "/v1/me/2fa/totp", { token: user.token, body: { password: user.password } });
    const { secret } = (await enrolled.json()) as { secret: string };
    const confirm = () =>
      api("POST", "/v1/me/2fa/totp/confirm", {
        token: user.token,
        body: { code: codeAt(secret, Date.now() - 30_000) },
      });

    // Turning on: the backup codes are inserted after 2FA is marked on, in one transaction.
    await duringFault("mfa_backup_codes", "INSERT", confirm);
    expect(
      await count("SELECT count(*) AS n FROM user_mfa WHERE user_id = ? AND enabled_at IS NOT NULL", user.id),
    ).toBe(0);
    expect(await count("SELECT count(*) AS n FROM mfa_backup_codes WHERE user_id = ?", user.id)).toBe(0);
    expect(await auditCount(user.id, "mfa.enabled")).toBe(0);
    const plain = (await (
      await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } })
    ).json()) as {
      token?: string;
    };
    expect(plain.token).toEqual(expect.any(String));

    const confirmed = await confirm();
    expect(confirmed.status).toBe(200);
    expect(((await confirmed.json()) as { backupCodes: string[] }).backupCodes).toHaveLength(10);

    // Turning off: the secret's row goes after the backup codes, in one transaction.
    const disable = (timestamp: number) =>
      api("DELETE", "/v1/me/2fa", {
        token: user.token,
        body: { password: user.password, code: codeAt(secret, timestamp) },
      });
    await duringFault("user_mfa", "DELETE", () => disable(Date.now()));
    expect(await count("SELECT count(*) AS n FROM mfa_backup_codes WHERE user_id = ?", user.id)).toBe(10);
    expect(await auditCount(user.id, "mfa.disabled")).toBe(0);
    const challenged = (await (
      await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } })
    ).json()) as { mfaRequired?: boolean };
    expect(challenged.mfaRequired).toBe(true);
    expect((await readOutbox(user.email)).map((mail) => mail.subject)).not.toContain(
      "Two-factor authentication was turned off",
    );

    // The code of the failed attempt was used up (codes are single use); the next one works.
    expect((await disable(Date.now() + 30_000)).status).toBe(204);
  });
});

describe("a revocation whose audit row cannot be written", () => {
  it("session delete, key revoke and the operator's revoke-all answer 500, record nothing in D1, stay revoked, and repeat cleanly", async () => {
    const user = await registerUser();
    const other = await login(user.email, user.password, randomIp());
    const sessions = (await (await api("GET", "/v1/sessions", { token: user.token })).json()) as {
      data: { id: string; current: boolean }[];
    };
    const otherSession = sessions.data.find((session) => !session.current)?.id as string;
    const key = await createKey(user.token);
    const revokedRows = () =>
      count("SELECT count(*) AS n FROM sessions WHERE user_id = ? AND revoked_at IS NOT NULL", user.id);

    await duringFault("audit_log", "INSERT", () =>
      api("DELETE", `/v1/sessions/${otherSession}`, { token: user.token }),
    );
    expect(await revokedRows()).toBe(0);
    expect(await auditCount(user.id, "session.revoked")).toBe(0);
    // The guard was told first: the session is dead although D1 does not say so yet.
    await expectProblem(await api("GET", "/v1/me", { token: other }), 401, "unauthorized");
    expect((await api("DELETE", `/v1/sessions/${otherSession}`, { token: user.token })).status).toBe(204);
    expect(await revokedRows()).toBe(1);
    expect(await auditCount(user.id, "session.revoked")).toBe(1);

    await duringFault("audit_log", "INSERT", () => api("DELETE", `/v1/api-keys/${key.id}`, { token: user.token }));
    expect(await count("SELECT count(*) AS n FROM api_keys WHERE id = ? AND revoked_at IS NOT NULL", key.id)).toBe(0);
    await expectProblem(await api("GET", "/v1/images", { token: key.key }), 401, "unauthorized");
    expect((await api("DELETE", `/v1/api-keys/${key.id}`, { token: user.token })).status).toBe(204);
    expect(await count("SELECT count(*) AS n FROM api_keys WHERE id = ? AND revoked_at IS NOT NULL", key.id)).toBe(1);
    expect(await auditCount(user.id, "api_key.revoked")).toBe(1);

    const admin = { token: env.ADMIN_TOKEN };
    await duringFault("audit_log", "INSERT", () => api("POST", `/v1/admin/users/${user.id}/revoke-all`, admin));
    expect(await revokedRows()).toBe(1);
    await expectProblem(await api("GET", "/v1/me", { token: user.token }), 401, "unauthorized");
    expect((await api("POST", `/v1/admin/users/${user.id}/revoke-all`, admin)).status).toBe(204);
    expect(await revokedRows()).toBe(2);
    expect(await auditCount(user.id, "admin.credentials_revoked")).toBe(1);
  });
});

describe("a profile or plan change whose audit row cannot be written", () => {
  it("PATCH /v1/me and the operator's plan change answer 500 and change nothing; repeated, they work", async () => {
    const user = await registerUser({ name: "Before" });
    const newEmail = `after.${crypto.randomUUID().slice(0, 8)}@example.com`;
    const change = { name: "After", email: newEmail, currentPassword: user.password };
    await duringFault("audit_log", "INSERT", () => api("PATCH", "/v1/me", { token: user.token, body: change }));
    expect(await (await api("GET", "/v1/me", { token: user.token })).json()).toMatchObject({
      name: "Before",
      email: user.email,
      pendingEmail: null,
    });
    // Nothing reached the new address: its link was never mailed.
    expect(await readOutbox(newEmail)).toEqual([]);
    expect(await auditCount(user.id, "email.change_requested")).toBe(0);
    expect((await api("PATCH", "/v1/me", { token: user.token, body: change })).status).toBe(200);
    expect(await auditCount(user.id, "email.change_requested")).toBe(1);
    expect(await (await api("GET", "/v1/me", { token: user.token })).json()).toMatchObject({
      name: "After",
      pendingEmail: newEmail,
    });

    const admin = { token: env.ADMIN_TOKEN, body: { plan: "pro" } };
    await duringFault("audit_log", "INSERT", () => api("PATCH", `/v1/admin/users/${user.id}`, admin));
    expect(await count("SELECT count(*) AS n FROM users WHERE id = ? AND plan = 'standard'", user.id)).toBe(1);
    expect((await api("PATCH", `/v1/admin/users/${user.id}`, admin)).status).toBe(200);
    expect(await count("SELECT count(*) AS n FROM users WHERE id = ? AND plan = 'pro'", user.id)).toBe(1);
    expect(await auditCount(user.id, "admin.user_updated")).toBe(1);
  });
});

describe("a new API key whose audit row cannot be written", () => {
  it("answers 500, and no key exists: a credential is never issued without its audit row", async () => {
    const user = await registerUser();
    await duringFault("audit_log", "INSERT", () =>
      api("POST", "/v1/api-keys", { token: user.token, body: { name: "unaudited", scopes: ["read"] } }),
    );
    expect(await count("SELECT count(*) AS n FROM api_keys WHERE user_id = ?", user.id)).toBe(0);
    const again = await createKey(user.token, { name: "audited" });
    expect(await auditCount(user.id, "api_key.created")).toBe(1);
    expect((await api("GET", "/v1/images", { token: again.key })).status).toBe(200);
  });
});

describe("a key revocation D1 failed to record (finding 3: it used to come back after 24 h)", () => {
  it("answers 5xx, and the guard keeps refusing the key for good, past every cleanup, until the revocation is repeated", async () => {
    const user = await registerUser();
    const key = await createKey(user.token);
    expect((await api("GET", "/v1/images", { token: key.key })).status).toBe(200);

    await duringFault("api_keys", "UPDATE", () => api("DELETE", `/v1/api-keys/${key.id}`, { token: user.token }));
    expect(await count("SELECT count(*) AS n FROM api_keys WHERE id = ? AND revoked_at IS NOT NULL", key.id)).toBe(0);
    await expectProblem(await api("GET", "/v1/images", { token: key.key }), 401, "unauthorized");

    // Thirty days on in the guard, with its cleanup run: D1 still shows the key live, and the
    // guard, never told that D1 holds the revocation, still refuses it.
    const guard = env.USER_GUARD.get(env.USER_GUARD.idFromName(user.id));
    const clock = new ManualClock();
    await injectClock(guard, clock);
    clock.advance(30 * 24 * 60 * 60_000);
    await runDurableObjectAlarm(guard);
    await expectProblem(await api("GET", "/v1/images", { token: key.key }), 401, "unauthorized");

    expect((await api("DELETE", `/v1/api-keys/${key.id}`, { token: user.token })).status).toBe(204);
    expect(await count("SELECT count(*) AS n FROM api_keys WHERE id = ? AND revoked_at IS NOT NULL", key.id)).toBe(1);
    await expectProblem(await api("GET", "/v1/images", { token: key.key }), 401, "unauthorized");
  });
});
