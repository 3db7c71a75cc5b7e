// OWASP API2:2023 broken authentication; ASVS 5.0 V6.4 (recovery: single-use, short-lived, stored
// hashed, no account enumeration), V6.3.7 (users notified of credential changes).
import { describe, expect, it, vi } from "vitest";
import { api, env, expectProblem, login, randomIp, registerUser, uniqueEmail } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { readOutbox, tokenFromMail, waitForMail } from "../helpers/outbox";
import { insertSessions, liveSessionCount } from "../helpers/sessions";

const forgot = (email: string, ip = randomIp()) => api("POST", "/v1/auth/password/forgot", { body: { email }, ip });
const reset = (token: string, password: string) =>
  api("POST", "/v1/auth/password/reset", { body: { token, password } });

async function resetMails(email: string) {
  return (await readOutbox(email)).filter((mail) => /reset your/i.test(mail.subject));
}

describe("POST /v1/auth/password/forgot", () => {
  it("answers 202 with the same body whether or not the email has an account", async () => {
    const user = await registerUser();
    const known = await forgot(user.email);
    const unknown = await forgot(uniqueEmail("nobody"));
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(await known.text()).toBe(await unknown.text());
  });

  it("mails a one-hour link for a known email, and nothing for an unknown one", async () => {
    const user = await registerUser();
    const nobody = uniqueEmail("nobody");
    await forgot(user.email);
    await forgot(nobody);
    const mail = await waitForMail(user.email, /reset your/i);
    expect(mail.text).toMatch(/\/reset-password\?token=[A-Za-z0-9_-]{43}$/m);
    expect(await readOutbox(nobody)).toEqual([]);
  });

  it("stores only the SHA-256 of the token", async () => {
    const user = await registerUser();
    await forgot(user.email);
    const token = tokenFromMail(await waitForMail(user.email, /reset your/i));
    const { results } = await env.DB.prepare("SELECT * FROM password_reset_tokens").all();
    expect(JSON.stringify(results)).not.toContain(token);
    const digest = Array.from(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))))
      .map((byte) => byte.toString(16).padStart(2, "0"))
      .join("");
    expect(JSON.stringify(results)).toContain(digest);
  });

  it("sends at most 3 mails per email per hour, answering the same 202 beyond", async () => {
    const user = await registerUser();
    for (let index = 0; index < 5; index++) expect((await forgot(user.email)).status).toBe(202);
    await vi.waitFor(async () => expect(await resetMails(user.email)).toHaveLength(3));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await resetMails(user.email)).toHaveLength(3);
  });

  it("allows at most 10 requests per IP per hour, then 429 with Retry-After", async () => {
    const ip = randomIp();
    for (let index = 0; index < 10; index++) expect((await forgot(uniqueEmail(), ip)).status).toBe(202);
    const refused = await forgot(uniqueEmail(), ip);
    await expectProblem(refused, 429, "too_many_attempts");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(3500);
  });
});

describe("POST /v1/auth/password/reset", () => {
  it("sets the new password, revokes every session, mails a notice, and the token works once", async () => {
    const user = await registerUser();
    const otherSession = await login(user.email, user.password);
    await forgot(user.email);
    const token = tokenFromMail(await waitForMail(user.email, /reset your/i));

    expect((await reset(token, "my new passphrase here")).status).toBe(204);
    for (const session of [user.token, otherSession]) {
      await expectProblem(await api("GET", "/v1/me", { token: session }), 401, "unauthorized");
    }
    const oldLogin = await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } });
    await expectProblem(oldLogin, 401, "invalid_credentials");
    expect(await login(user.email, "my new passphrase here")).toEqual(expect.any(String));
    await waitForMail(user.email, /was reset/i);

    await expectProblem(await reset(token, "yet another passphrase"), 400, "invalid_token");
  });

  it("lets only one of two concurrent resets with one token through", async () => {
    const user = await registerUser();
    await forgot(user.email);
    const token = tokenFromMail(await waitForMail(user.email, /reset your/i));
    const statuses = (await Promise.all([reset(token, "first new passphrase"), reset(token, "second new passphrase")]))
      .map((response) => response.status)
      .sort();
    expect(statuses).toEqual([204, 400]);
  });

  it("voids an older token when a newer one is issued", async () => {
    const user = await registerUser();
    await forgot(user.email);
    const first = tokenFromMail(await waitForMail(user.email, /reset your/i));
    await forgot(user.email);
    await vi.waitFor(async () => expect(await resetMails(user.email)).toHaveLength(2));
    const second = tokenFromMail((await resetMails(user.email))[0] as Awaited<ReturnType<typeof readOutbox>>[number]);
    expect(second).not.toBe(first);
    await expectProblem(await reset(first, "a new passphrase one"), 400, "invalid_token");
    expect((await reset(second, "a new passphrase two")).status).toBe(204);
  });

  it("stores the reset mail with its link's expiry, so an undelivered copy is erased when the link dies", async () => {
    const user = await registerUser();
    await forgot(user.email);
    await waitForMail(user.email, /reset your/i);
    const row = await env.DB.prepare(
      "SELECT text_expires_at - created_at AS lifetime FROM email_outbox WHERE to_address = ? AND subject LIKE 'Reset your%'",
    )
      .bind(user.email)
      .first<{ lifetime: number }>();
    // The link's hour, counted from the token's issue a moment before the mail was stored.
    expect(row?.lifetime).toBeGreaterThan(59 * 60 * 1000);
    expect(row?.lifetime).toBeLessThanOrEqual(60 * 60 * 1000);
  });

  it("refuses an expired token", async () => {
    const user = await registerUser();
    await forgot(user.email);
    const token = tokenFromMail(await waitForMail(user.email, /reset your/i));
    await env.DB.prepare("UPDATE password_reset_tokens SET expires_at = ? WHERE user_id = ?")
      .bind(Date.now() - 1, user.id)
      .run();
    await expectProblem(await reset(token, "too late passphrase"), 400, "invalid_token");
  });

  it("refuses an unknown token", async () => {
    await expectProblem(await reset("A".repeat(43), "whatever passphrase"), 400, "invalid_token");
  });

  it("refuses a common password before using the token up", async () => {
    const user = await registerUser();
    await forgot(user.email);
    const token = tokenFromMail(await waitForMail(user.email, /reset your/i));
    const problem = await expectProblem(await reset(token, "password1"), 400, "validation_failed");
    expect(problem.errors?.[0]?.message).toMatch(/most common passwords/);
    expect((await reset(token, "an uncommon passphrase")).status).toBe(204);
  });
});

describe("a reset nobody can jam, and that can end every API key", () => {
  async function resetLink(email: string) {
    await forgot(email);
    return tokenFromMail(await waitForMail(email, /reset your/i));
  }

  it("with 10,001 sessions it answers 204 and every old session is refused; keys survive unless asked", async () => {
    const user = await registerUser();
    await insertSessions(user.id, 10_001);
    const other = await login(user.email, user.password);
    const key = await createKey(user.token);
    expect((await reset(await resetLink(user.email), "my new passphrase here")).status).toBe(204);
    for (const session of [user.token, other]) {
      await expectProblem(await api("GET", "/v1/me", { token: session }), 401, "unauthorized");
    }
    expect(await liveSessionCount(user.id)).toBe(0);
    expect((await api("GET", "/v1/images", { token: key.key })).status).toBe(200);
    const fresh = await login(user.email, "my new passphrase here");
    expect((await api("GET", "/v1/me", { token: fresh })).status).toBe(200);
  });

  it("with revokeApiKeys: true, every key of the user dies with the sessions (a pre-planted key included)", async () => {
    const user = await registerUser();
    const planted = await createKey(user.token);
    const other = await createKey(user.token, { scopes: ["read"] });
    const token = await resetLink(user.email);
    const response = await api("POST", "/v1/auth/password/reset", {
      body: { token, password: "my new passphrase here", revokeApiKeys: true },
    });
    expect(response.status).toBe(204);
    for (const key of [planted.key, other.key]) {
      await expectProblem(await api("GET", "/v1/images", { token: key }), 401, "unauthorized");
    }
    const live = await env.DB.prepare("SELECT count(*) AS n FROM api_keys WHERE user_id = ? AND revoked_at IS NULL")
      .bind(user.id)
      .first<{ n: number }>();
    expect(live?.n).toBe(0);
    // A key made afterwards works.
    const fresh = await login(user.email, "my new passphrase here");
    const newKey = await createKey(fresh);
    expect((await api("GET", "/v1/images", { token: newKey.key })).status).toBe(200);
  });
});
