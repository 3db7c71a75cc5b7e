import { describe, expect, it } from "vitest";
import { api, env, expectProblem, login, registerUser, uniqueEmail } from "../helpers/api";
import { decodeToken, nowSeconds, resign } from "../helpers/tokens";

describe("POST /v1/auth/register", () => {
  it("creates an account with a normalised email and answers with a 7-day token", async () => {
    const email = uniqueEmail("Mixed.Case");
    const response = await api("POST", "/v1/auth/register", {
      body: { email: `  ${email.toUpperCase()} `, password: "a sound password", name: "Ada" },
    });
    expect(response.status).toBe(201);
    const body = (await response.json()) as { token: string; expiresAt: string; user: Record<string, unknown> };
    expect(body).toMatchObject({
      tokenType: "Bearer",
      user: { email: email.toLowerCase(), name: "Ada", plan: "standard", emailVerified: false, pendingEmail: null },
    });
    expect(Object.keys(body.user).sort()).toEqual([
      "createdAt",
      "email",
      "emailVerified",
      "id",
      "name",
      "pendingEmail",
      "plan",
    ]);
    expect(body.user.id).toMatch(/^usr_[A-Za-z0-9_-]{22}$/);
    const { header, payload } = decodeToken(body.token);
    expect(header).toMatchObject({ alg: "HS256", typ: "JWT" });
    expect(header.kid).toEqual(expect.any(String));
    expect(payload).toMatchObject({
      userId: body.user.id,
      email: email.toLowerCase(),
      iss: expect.any(String),
      aud: expect.any(String),
    });
    expect(payload.sid).toMatch(/^ses_/);
    expect(payload.exp - payload.iat).toBe(7 * 24 * 3600);
    expect(new Date(body.expiresAt).getTime()).toBe(payload.exp * 1000);
  });

  it("refuses a second account for the same email, whatever its case, with 409 email_taken", async () => {
    const user = await registerUser();
    const response = await api("POST", "/v1/auth/register", {
      body: { email: user.email.toUpperCase(), password: "another password" },
    });
    await expectProblem(response, 409, "email_taken");
  });

  it("lets exactly one of several concurrent registrations of one email succeed", async () => {
    const email = uniqueEmail("race");
    const responses = await Promise.all(
      Array.from({ length: 5 }, () => api("POST", "/v1/auth/register", { body: { email, password: "password-123" } })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([201, 409, 409, 409, 409]);
  });

  it.each([
    ["a short password", { email: "a@example.com", password: "short" }, "password"],
    ["a 257-character password", { email: "a@example.com", password: "p".repeat(257) }, "password"],
    ["an invalid email", { email: "not-an-email", password: "long enough" }, "email"],
    ["a missing email", { password: "long enough" }, "email"],
    ["a non-string password", { email: "a@example.com", password: 12345678 }, "password"],
    ["an unknown field", { email: "a@example.com", password: "long enough", plan: "enterprise" }, "plan"],
    ["a 101-character name", { email: "a@example.com", password: "long enough", name: "n".repeat(101) }, "name"],
  ])("refuses %s with 400 and the field in errors[]", async (_label, body, path) => {
    const problem = await expectProblem(await api("POST", "/v1/auth/register", { body }), 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
  });

  it("accepts a 256-character password", async () => {
    const response = await api("POST", "/v1/auth/register", {
      body: { email: uniqueEmail(), password: "p".repeat(256) },
    });
    expect(response.status).toBe(201);
  });
});

describe("passwords", () => {
  it("does not truncate at bcrypt's 72 bytes: two passwords sharing 72 bytes are different", async () => {
    const prefix = "x".repeat(72);
    const user = await registerUser({ password: `${prefix}-first` });
    const wrong = await api("POST", "/v1/auth/login", { body: { email: user.email, password: `${prefix}-second` } });
    await expectProblem(wrong, 401, "invalid_credentials");
    expect(await login(user.email, `${prefix}-first`)).toEqual(expect.any(String));
  });

  it("compares passwords after NFC normalisation", async () => {
    const user = await registerUser({ password: "caf\u00e9 au lait" });
    expect(await login(user.email, "cafe\u0301 au lait")).toEqual(expect.any(String));
  });
});

describe("POST /v1/auth/login", () => {
  it("logs in with the email in any case and surrounding spaces", async () => {
    const user = await registerUser();
    const token = await login(` ${user.email.toUpperCase()} `, user.password);
    expect((await api("GET", "/v1/me", { token })).status).toBe(200);
  });

  it("answers an unknown email and a wrong password identically", async () => {
    const user = await registerUser();
    const wrongPassword = await api("POST", "/v1/auth/login", {
      body: { email: user.email, password: "wrong password" },
    });
    const unknownEmail = await api("POST", "/v1/auth/login", {
      body: { email: uniqueEmail("nobody"), password: "wrong password" },
    });
    const first = await expectProblem(wrongPassword, 401, "invalid_credentials");
    const second = await expectProblem(unknownEmail, 401, "invalid_credentials");
    expect({ ...first, requestId: "" }).toEqual({ ...second, requestId: "" });
  });
});

describe("logout, logout-all and refresh", () => {
  it("logout kills that session's token on the next request and leaves other sessions alone", async () => {
    const user = await registerUser();
    const other = await login(user.email, user.password);
    expect((await api("POST", "/v1/auth/logout", { token: user.token })).status).toBe(204);
    await expectProblem(await api("GET", "/v1/me", { token: user.token }), 401, "unauthorized");
    expect((await api("GET", "/v1/me", { token: other })).status).toBe(200);
  });

  it("logout-all kills every session of the user, and only that user's", async () => {
    const user = await registerUser();
    const stranger = await registerUser();
    const second = await login(user.email, user.password);
    const third = await login(user.email, user.password);
    expect((await api("POST", "/v1/auth/logout-all", { token: second })).status).toBe(204);
    for (const token of [user.token, second, third]) {
      await expectProblem(await api("GET", "/v1/me", { token }), 401, "unauthorized");
    }
    expect((await api("GET", "/v1/me", { token: stranger.token })).status).toBe(200);
    expect((await api("GET", "/v1/me", { token: await login(user.email, user.password) })).status).toBe(200);
  });

  it("refresh gives a new token of the same session and kills the presented one", async () => {
    const user = await registerUser();
    const response = await api("POST", "/v1/auth/refresh", { token: user.token });
    expect(response.status).toBe(200);
    const { token, expiresAt } = (await response.json()) as { token: string; expiresAt: string };
    expect(decodeToken(token).payload.sid).toBe(decodeToken(user.token).payload.sid);
    expect(new Date(expiresAt).getTime()).toBe(decodeToken(token).payload.exp * 1000);
    await expectProblem(await api("GET", "/v1/me", { token: user.token }), 401, "unauthorized");
    expect((await api("GET", "/v1/me", { token })).status).toBe(200);
  });

  it("lets only one of several concurrent refreshes with one token succeed", async () => {
    const user = await registerUser();
    const responses = await Promise.all(
      Array.from({ length: 6 }, () => api("POST", "/v1/auth/refresh", { token: user.token })),
    );
    expect(responses.map((response) => response.status).sort()).toEqual([200, 401, 401, 401, 401, 401]);
  });

  it("audits refreshes once per session and day, however often a client refreshes", async () => {
    const user = await registerUser();
    const secondToken = await login(user.email, user.password);
    let token = user.token;
    for (let round = 0; round < 4; round++) {
      const response = await api("POST", "/v1/auth/refresh", { token });
      expect(response.status).toBe(200);
      token = ((await response.json()) as { token: string }).token;
    }
    expect((await api("POST", "/v1/auth/refresh", { token: secondToken })).status).toBe(200);
    const { results } = await env.DB.prepare(
      "SELECT json_extract(metadata, '$.sessionId') AS session FROM audit_log WHERE user_id = ? AND type = 'auth.token_refreshed'",
    )
      .bind(user.id)
      .all<{ session: string }>();
    // One row for each of the two sessions, not one per refresh.
    expect(results).toHaveLength(2);
    expect(new Set(results.map((row) => row.session)).size).toBe(2);
  });

  it("a refreshed token dies with its session", async () => {
    const user = await registerUser();
    const { token } = (await (await api("POST", "/v1/auth/refresh", { token: user.token })).json()) as {
      token: string;
    };
    expect((await api("POST", "/v1/auth/logout", { token })).status).toBe(204);
    await expectProblem(await api("GET", "/v1/me", { token }), 401, "unauthorized");
  });
});

/** The same session's claims, re-signed as if issued 25 hours ago. */
function dayOldToken(token: string) {
  const iat = nowSeconds() - 25 * 3600;
  return resign(token, { payload: { iat, exp: iat + 7 * 86400 } });
}

describe("sliding refresh", () => {
  it("sends a fresh token of the same session in X-Refreshed-Token when the token is older than 24 h", async () => {
    const user = await registerUser();
    const old = await dayOldToken(user.token);
    const response = await api("GET", "/v1/me", { token: old });
    expect(response.status).toBe(200);
    const fresh = response.headers.get("X-Refreshed-Token");
    expect(fresh).toEqual(expect.any(String));
    const claims = decodeToken(fresh as string).payload;
    expect(claims.sid).toBe(decodeToken(user.token).payload.sid);
    expect(claims.iat).toBeGreaterThanOrEqual(nowSeconds() - 5);
    expect((await api("GET", "/v1/me", { token: fresh as string })).status).toBe(200);
  });

  it("sends none for a younger token, nor on a failed request", async () => {
    const user = await registerUser();
    expect((await api("GET", "/v1/me", { token: user.token })).headers.get("X-Refreshed-Token")).toBeNull();
    const old = await dayOldToken(user.token);
    const failed = await api("PATCH", "/v1/me", { token: old, body: { plan: "pro" } });
    expect(failed.status).toBe(400);
    expect(failed.headers.get("X-Refreshed-Token")).toBeNull();
  });

  it("sends none on logout: the session is over", async () => {
    const user = await registerUser();
    const old = await dayOldToken(user.token);
    const response = await api("POST", "/v1/auth/logout", { token: old });
    expect(response.status).toBe(204);
    expect(response.headers.get("X-Refreshed-Token")).toBeNull();
  });
});
