// OWASP API2:2023 broken authentication; ASVS 5.0 V6 (authentication), V7 (session management),
// V9 (self-contained tokens). The JWT forgery corpus runs against every credentialed route in
// api2-jwt-forgery-*.test.ts (helpers/auth-matrix.ts); lockout and backoff in
// api2-login-protection.test.ts; reset-token reuse in api2-password-reset.test.ts.
// This file adds what an attacker tries next: forged API keys and operator tokens, one kind of
// credential presented as another, and credentials smuggled where they are never read.
import { beforeAll, describe, expect, it } from "vitest";
import { api, env, expectProblem, login, type RegisteredUser, registerUser } from "../helpers/api";
import { type CreatedKey, createKey } from "../helpers/api-keys";
import { asOperator } from "../helpers/operator";
import { tokenFromMail, waitForMail } from "../helpers/outbox";

let user: RegisteredUser;
let key: CreatedKey;

beforeAll(async () => {
  user = await registerUser();
  key = await createKey(user.token);
});

const flipLastHex = (value: string) => `${value.slice(0, -1)}${value.endsWith("0") ? "1" : "0"}`;

describe("forged API keys", () => {
  const forgeries: [string, () => string][] = [
    ["the key with its last character changed", () => flipLastHex(key.key)],
    [
      "the key with its first secret character changed",
      () => key.key.replace(/_([0-9a-f])/, (_m, c) => `_${c === "a" ? "b" : "a"}`),
    ],
    ["the key cut short by one character", () => key.key.slice(0, -1)],
    ["the key with a character more", () => `${key.key}0`],
    ["the key in upper case", () => key.key.toUpperCase()],
    ["the key with a space inside", () => `${key.key.slice(0, 20)} ${key.key.slice(20)}`],
    ["only its displayed prefix", () => key.prefix],
    ["the prefix and last four of the listing, padded", () => `${key.prefix}${"0".repeat(52)}${key.lastFour}`],
    ["its SHA-256, as stored", () => "0".repeat(64)],
  ];

  for (const [label, forge] of forgeries) {
    it(`refuses ${label} with 401`, async () => {
      await expectProblem(await api("GET", "/v1/images", { token: forge() }), 401, "unauthorized");
    });
  }

  it("refuses the stored hash itself as a key", async () => {
    const row = await env.DB.prepare("SELECT key_hash FROM api_keys WHERE id = ?")
      .bind(key.id)
      .first<{ key_hash: string }>();
    await expectProblem(await api("GET", "/v1/images", { token: row?.key_hash }), 401, "unauthorized");
    await expectProblem(await api("GET", "/v1/images", { token: `imgbot_live_${row?.key_hash}` }), 401, "unauthorized");
  });

  it.each(["X-API-Key", "Api-Key", "X-Auth-Token", "Cookie"])("never reads a key from %s", async (header) => {
    const value = header === "Cookie" ? `token=${key.key}` : key.key;
    await expectProblem(await api("GET", "/v1/images", { headers: { [header]: value } }), 401, "unauthorized");
  });

  it("a key dies with its owner's account, and with the operator's revoke-all", async () => {
    const owner = await registerUser();
    const [erased, revoked] = [await createKey(owner.token), await createKey(owner.token)];
    expect((await api("GET", "/v1/images", { token: revoked.key })).status).toBe(200);
    expect((await asOperator("POST", `/v1/admin/users/${owner.id}/revoke-all`)).status).toBe(204);
    await expectProblem(await api("GET", "/v1/images", { token: revoked.key }), 401, "unauthorized");

    const other = await registerUser();
    const otherKey = await createKey(other.token);
    expect(
      (await api("DELETE", "/v1/account", { token: other.token, body: { password: other.password } })).status,
    ).toBe(204);
    await expectProblem(await api("GET", "/v1/images", { token: otherKey.key }), 401, "unauthorized");
    expect(erased.key).not.toBe(otherKey.key);
  });
});

describe("one credential presented as another", () => {
  it("an API key cannot refresh, log out, manage keys or sessions (session-only routes)", async () => {
    for (const [method, path, body] of [
      ["POST", "/v1/auth/refresh", undefined],
      ["POST", "/v1/auth/logout-all", undefined],
      ["GET", "/v1/sessions", undefined],
      ["POST", "/v1/api-keys", { name: "escalate", scopes: ["manage"] }],
      ["POST", "/v1/auth/password/change", { currentPassword: user.password, newPassword: "a brand new passphrase 1" }],
    ] as const) {
      const response = await api(method, path, { token: key.key, body });
      expect([401, 403], `${method} ${path}`).toContain(response.status);
    }
    // The password did not change, and the user's sessions still work.
    expect(await login(user.email, user.password)).toMatch(/^eyJ/);
  });

  it("the operator token is no user credential, and no user credential is the operator", async () => {
    await expectProblem(await api("GET", "/v1/me", { token: env.ADMIN_TOKEN }), 401, "unauthorized");
    for (const token of [user.token, key.key, flipLastHex(env.ADMIN_TOKEN), env.ADMIN_TOKEN.slice(0, -1), ""]) {
      const response = await api("POST", `/v1/admin/users/${user.id}/unlock`, { token });
      expect([401, 403]).toContain(response.status);
    }
    const { results } = await env.DB.prepare("SELECT type FROM audit_log WHERE type = 'auth.unlocked' AND user_id = ?")
      .bind(user.id)
      .all();
    expect(results).toEqual([]);
  });

  it("a password-reset token is no bearer token, and a bearer token resets no password", async () => {
    const victim = await registerUser();
    await api("POST", "/v1/auth/password/forgot", { body: { email: victim.email } });
    const resetToken = tokenFromMail(await waitForMail(victim.email, /reset your/i));
    await expectProblem(await api("GET", "/v1/me", { token: resetToken }), 401, "unauthorized");
    const misuse = await api("POST", "/v1/auth/password/reset", {
      body: { token: victim.token, password: "an attacker's passphrase 7" },
    });
    expect(misuse.status).toBeGreaterThanOrEqual(400);
    expect(misuse.status).toBeLessThan(500);
    // The reset token was not spent by the failed attempts: the owner can still use it once.
    const reset = { token: resetToken, password: "the owner's new passphrase 8" };
    expect((await api("POST", "/v1/auth/password/reset", { body: reset })).status).toBe(204);
    expect((await api("POST", "/v1/auth/password/reset", { body: reset })).status).toBe(400);
  });

  it("a token of another user, or of an erased user, opens nothing", async () => {
    const gone = await registerUser();
    const session = await login(gone.email, gone.password);
    expect((await api("DELETE", "/v1/account", { token: gone.token, body: { password: gone.password } })).status).toBe(
      204,
    );
    await expectProblem(await api("GET", "/v1/me", { token: session }), 401, "unauthorized");
    // Registering the same email again makes a new user: the old tokens stay dead.
    await registerUser({ email: gone.email });
    await expectProblem(await api("GET", "/v1/me", { token: session }), 401, "unauthorized");
  });
});

describe("credentials in the wrong place", () => {
  it("two Authorization headers, or a bearer with trailing junk, are refused", async () => {
    const headers = new Headers({ Authorization: `Bearer ${user.token}` });
    headers.append("Authorization", `Bearer ${key.key}`);
    await expectProblem(await api("GET", "/v1/me", { headers: Object.fromEntries(headers) }), 401, "unauthorized");
    await expectProblem(
      await api("GET", "/v1/me", { headers: { Authorization: `Bearer ${user.token} extra` } }),
      401,
      "unauthorized",
    );
  });

  it("a token in the query string or the body is never read", async () => {
    await expectProblem(await api("GET", `/v1/me?token=${user.token}`), 401, "unauthorized");
    await expectProblem(await api("GET", `/v1/me?access_token=${user.token}`), 401, "unauthorized");
    await expectProblem(await api("PATCH", "/v1/me", { body: { token: user.token, name: "x" } }), 401, "unauthorized");
  });
});
