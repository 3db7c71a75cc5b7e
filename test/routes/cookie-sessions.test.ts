// API.md "Browser sessions (cookies)"; OWASP CSRF Prevention Cheat Sheet (synchronizer token bound
// to the session, origin verification, login CSRF); RFC 6265bis (`__Host-` prefix, SameSite).
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { api, expectProblem, registerUser } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import {
  COOKIE_NAME,
  cookieHeaders,
  cookieSignIn,
  FOREIGN_ORIGIN,
  OWN_ORIGIN,
  sessionCookieValue,
} from "../helpers/cookies";
import { deployedSettings, fetchWithEnv } from "../helpers/custom-env";
import { decodeToken, nowSeconds, resign } from "../helpers/tokens";
import { codeAt, userWithTwoFactor } from "../helpers/totp";

const nameOf = async (token: string) =>
  ((await (await api("GET", "/v1/me", { token })).json()) as { name: string | null }).name;

describe("signing in with session: cookie", () => {
  it("sets the __Host- cookie (HttpOnly, Secure, SameSite=Strict, Path=/, 7 days) and answers no token", async () => {
    const user = await registerUser();
    const session = await cookieSignIn(user);
    const attributes = session.setCookie.split(/;\s*/).slice(1).sort();
    expect(attributes).toEqual(["HttpOnly", "Max-Age=604800", "Path=/", "SameSite=Strict", "Secure"]);
    expect(session.setCookie.startsWith(`${COOKIE_NAME}=`)).toBe(true);
    expect(session.body).toEqual({
      user: expect.objectContaining({ id: user.id, email: user.email }),
      expiresAt: expect.any(String),
      csrfToken: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    });
    expect(JSON.stringify(session.body)).not.toContain(sessionCookieValue(session.setCookie));
  });

  it("is an ordinary session: listed as kind cookie with its sign-in method, and it reads the account", async () => {
    const user = await registerUser();
    const session = await cookieSignIn(user);
    const me = await api("GET", "/v1/me", { headers: cookieHeaders(session, { csrf: null, origin: null }) });
    expect(me.status).toBe(200);
    expect(me.headers.get("Cache-Control")).toBe("no-store");
    const list = (await (await api("GET", "/v1/sessions", { token: user.token })).json()) as {
      data: { kind: string; signInMethod: string; current: boolean }[];
    };
    expect(list.data.map(({ kind, signInMethod }) => `${kind}/${signInMethod}`).sort()).toEqual([
      "bearer/password",
      "cookie/password",
    ]);
  });

  it("register and the 2FA step take it too; the second factor is the session's sign-in method", async () => {
    const email = `cookie.${crypto.randomUUID()}@example.com`;
    const registered = await api("POST", "/v1/auth/register", {
      body: { email, password: `pw-${crypto.randomUUID()}`, session: "cookie" },
      headers: { Origin: OWN_ORIGIN },
    });
    expect(registered.status).toBe(201);
    expect(sessionCookieValue(registered.headers.get("Set-Cookie"))).toMatch(/^ey/);
    expect(await registered.json()).not.toHaveProperty("token");

    const { user, secret } = await userWithTwoFactor();
    const step = await api("POST", "/v1/auth/login", {
      body: { email: user.email, password: user.password, session: "cookie" },
      headers: { Origin: OWN_ORIGIN },
    });
    const { mfaToken } = (await step.json()) as { mfaToken: string };
    expect(step.headers.get("Set-Cookie")).toBeNull();
    const finished = await api("POST", "/v1/auth/login/mfa", {
      body: { mfaToken, code: codeAt(secret, Date.now() + 30_000), session: "cookie" },
      headers: { Origin: OWN_ORIGIN },
    });
    expect(finished.status).toBe(200);
    const token = sessionCookieValue(finished.headers.get("Set-Cookie")) as string;
    const list = (await (await api("GET", "/v1/sessions", { token })).json()) as {
      data: { kind: string; signInMethod: string; current: boolean }[];
    };
    expect(list.data.find((session) => session.current)).toMatchObject({ kind: "cookie", signInMethod: "totp" });
  });

  it("login CSRF: a cookie sign-in from a foreign origin, or with no Origin, is 403 csrf_failed and starts nothing", async () => {
    const user = await registerUser();
    const origins: Record<string, string>[] = [{ Origin: FOREIGN_ORIGIN }, {}, { Origin: "null" }];
    for (const headers of origins) {
      const response = await api("POST", "/v1/auth/login", {
        body: { email: user.email, password: user.password, session: "cookie" },
        headers,
      });
      await expectProblem(response, 403, "csrf_failed");
      expect(response.headers.get("Set-Cookie")).toBeNull();
    }
    const list = (await (await api("GET", "/v1/sessions", { token: user.token })).json()) as { data: unknown[] };
    expect(list.data).toHaveLength(1);
  });
});

describe("a state change made with the cookie", () => {
  it("needs the session's X-CSRF-Token and a trusted Origin; otherwise 403 csrf_failed and nothing changes", async () => {
    const user = await registerUser({ name: "Before" });
    const session = await cookieSignIn(user);
    const other = await cookieSignIn(await registerUser());
    const attempts = {
      "no CSRF header": cookieHeaders(session, { csrf: null }),
      "another session's CSRF token": cookieHeaders(session, { csrf: other.csrfToken }),
      "a truncated token": cookieHeaders(session, { csrf: session.csrfToken.slice(0, 20) }),
      "a foreign Origin": cookieHeaders(session, { origin: FOREIGN_ORIGIN }),
      "no Origin": cookieHeaders(session, { origin: null }),
      "Origin null (sandboxed frame)": cookieHeaders(session, { origin: "null" }),
      "a sibling origin": cookieHeaders(session, { origin: "https://edge.test.evil.example" }),
    };
    for (const [label, headers] of Object.entries(attempts)) {
      const response = await api("PATCH", "/v1/me", { headers, body: { name: `After (${label})` } });
      await expectProblem(response, 403, "csrf_failed");
    }
    expect(await nameOf(user.token)).toBe("Before");
    const allowed = await api("PATCH", "/v1/me", { headers: cookieHeaders(session), body: { name: "After" } });
    expect(allowed.status).toBe(200);
    expect(await nameOf(user.token)).toBe("After");
  });

  it("APP_URL's origin is trusted too (the console served at the configured address)", async () => {
    const session = await cookieSignIn(await registerUser());
    const response = await api("PATCH", "/v1/me", {
      headers: cookieHeaders(session, { origin: new URL(env.APP_URL as string).origin }),
      body: { name: "From APP_URL" },
    });
    expect(response.status).toBe(200);
  });

  it("GET /v1/auth/csrf gives a reloaded page the same token", async () => {
    const session = await cookieSignIn(await registerUser());
    const response = await api("GET", "/v1/auth/csrf", { headers: cookieHeaders(session, { csrf: null }) });
    expect(await response.json()).toEqual({ csrfToken: session.csrfToken });
  });

  it("a bearer token needs no CSRF token: browsers never attach one on their own", async () => {
    const user = await registerUser();
    const response = await api("PATCH", "/v1/me", {
      token: user.token,
      headers: { Origin: FOREIGN_ORIGIN },
      body: { name: "x" },
    });
    expect(response.status).toBe(200);
  });
});

describe("which credential decides", () => {
  it("Authorization wins over the cookie: a bad bearer token is 401 even beside a good cookie", async () => {
    const session = await cookieSignIn(await registerUser());
    const response = await api("GET", "/v1/me", {
      headers: { ...cookieHeaders(session), Authorization: "Bearer forged" },
    });
    await expectProblem(response, 401, "unauthorized");
  });

  it("Authorization wins: with another user's bearer token beside the cookie, the bearer's user acts", async () => {
    const cookieUser = await registerUser({ name: "Cookie" });
    const bearerUser = await registerUser({ name: "Bearer" });
    const session = await cookieSignIn(cookieUser);
    const response = await api("GET", "/v1/me", { token: bearerUser.token, headers: cookieHeaders(session) });
    expect(((await response.json()) as { id: string }).id).toBe(bearerUser.id);
  });

  it("an API key is never read from the cookie", async () => {
    const user = await registerUser();
    const { key } = await createKey(user.token, { name: "cookie", scopes: ["read"] });
    const response = await api("GET", "/v1/images", { headers: { Cookie: `${COOKIE_NAME}=${key}` } });
    await expectProblem(response, 401, "unauthorized");
  });

  it("a forged or alg:none cookie is 401", async () => {
    const user = await registerUser();
    const forged = await resign(user.token, { secret: "not-the-secret" });
    const [header, payload] = user.token.split(".");
    const none = `${btoa(JSON.stringify({ alg: "none", typ: "JWT" })).replace(/=+$/, "")}.${payload}.`;
    for (const value of [forged, none, `${header}.${payload}`, "x".repeat(9000)]) {
      const response = await api("GET", "/v1/me", { headers: { Cookie: `${COOKIE_NAME}=${value}` } });
      await expectProblem(response, 401, "unauthorized");
    }
  });
});

describe("ending and renewing a cookie session", () => {
  it("logout clears the cookie (Max-Age=0) and the session is refused on the next request", async () => {
    const session = await cookieSignIn(await registerUser());
    const response = await api("POST", "/v1/auth/logout", { headers: cookieHeaders(session) });
    expect(response.status).toBe(204);
    expect(response.headers.get("Set-Cookie")).toMatch(new RegExp(`^${COOKIE_NAME}=; Max-Age=0; Path=/;`));
    await expectProblem(await api("GET", "/v1/me", { headers: cookieHeaders(session) }), 401, "unauthorized");
  });

  it("logout-all from a bearer session also ends the browser's cookie session (the guard admits both alike)", async () => {
    const user = await registerUser();
    const session = await cookieSignIn(user);
    expect((await api("POST", "/v1/auth/logout-all", { token: user.token })).status).toBe(204);
    await expectProblem(await api("GET", "/v1/me", { headers: cookieHeaders(session) }), 401, "unauthorized");
  });

  it("deleting the current session through the cookie clears the cookie; deleting another does not", async () => {
    const user = await registerUser();
    const session = await cookieSignIn(user);
    const bearerSid = decodeToken(user.token).payload.sid;
    const other = await api("DELETE", `/v1/sessions/${bearerSid}`, { headers: cookieHeaders(session) });
    expect(other.status).toBe(204);
    expect(other.headers.get("Set-Cookie")).toBeNull();
    const ownSid = decodeToken(sessionCookieValue(session.setCookie) as string).payload.sid;
    const own = await api("DELETE", `/v1/sessions/${ownSid}`, { headers: cookieHeaders(session) });
    expect(own.headers.get("Set-Cookie")).toMatch(/Max-Age=0/);
  });

  it("POST /v1/auth/refresh re-sets the cookie, answers no token, and the old cookie dies", async () => {
    const session = await cookieSignIn(await registerUser());
    const response = await api("POST", "/v1/auth/refresh", { headers: cookieHeaders(session) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ expiresAt: expect.any(String), csrfToken: session.csrfToken });
    const fresh = sessionCookieValue(response.headers.get("Set-Cookie")) as string;
    expect(fresh).toMatch(/^ey/);
    await expectProblem(await api("GET", "/v1/me", { headers: cookieHeaders(session) }), 401, "unauthorized");
    expect((await api("GET", "/v1/me", { headers: { Cookie: `${COOKIE_NAME}=${fresh}` } })).status).toBe(200);
  });

  it("a sliding refresh (token older than 24 h) re-sets the cookie instead of sending X-Refreshed-Token", async () => {
    const session = await cookieSignIn(await registerUser());
    const iat = nowSeconds() - 25 * 3600;
    const old = await resign(sessionCookieValue(session.setCookie) as string, {
      payload: { iat, exp: iat + 7 * 86400 },
    });
    const response = await api("GET", "/v1/me", { headers: { Cookie: `${COOKIE_NAME}=${old}` } });
    expect(response.status).toBe(200);
    expect(response.headers.get("X-Refreshed-Token")).toBeNull();
    const fresh = sessionCookieValue(response.headers.get("Set-Cookie")) as string;
    expect(decodeToken(fresh).payload.sid).toBe(decodeToken(old).payload.sid);
    expect(response.headers.get("Set-Cookie")).toMatch(/HttpOnly; Secure; SameSite=Strict$/);
  });
});

describe("CORS for a frontend on another origin", () => {
  const frontend = "https://app.imagebot.example";
  const preflight = (origin: string, overrides: Record<string, unknown>) =>
    fetchWithEnv(
      overrides,
      new Request("https://edge.test/v1/me", {
        method: "OPTIONS",
        headers: {
          Origin: origin,
          "Access-Control-Request-Method": "PATCH",
          "Access-Control-Request-Headers": "content-type,x-csrf-token",
          "CF-Connecting-IP": "10.9.9.9",
        },
      }),
    );

  it("an origin in ALLOWED_ORIGINS may send credentials and X-CSRF-Token", async () => {
    const response = await preflight(frontend, { ALLOWED_ORIGINS: frontend });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe(frontend);
    expect(response.headers.get("Access-Control-Allow-Credentials")).toBe("true");
    expect(response.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("x-csrf-token");
  });

  it("any other origin gets `*` without credentials in development, and nothing in production", async () => {
    const development = await preflight("https://other.example", { ALLOWED_ORIGINS: frontend });
    expect(development.headers.get("Access-Control-Allow-Origin")).toBe("*");
    expect(development.headers.get("Access-Control-Allow-Credentials")).toBeNull();
    const production = await preflight("https://other.example", {
      ALLOWED_ORIGINS: frontend,
      ENVIRONMENT: "production",
      ...deployedSettings,
    });
    expect(production.headers.get("Access-Control-Allow-Origin")).toBeNull();
    expect(production.headers.get("Access-Control-Allow-Credentials")).toBeNull();
  });

  it("the listed frontend's cookie request with its CSRF token is accepted", async () => {
    const session = await cookieSignIn(await registerUser());
    const response = await fetchWithEnv(
      { ALLOWED_ORIGINS: frontend },
      new Request("https://edge.test/v1/me", {
        method: "PATCH",
        headers: {
          ...cookieHeaders(session, { origin: frontend }),
          "Content-Type": "application/json",
          "CF-Connecting-IP": "10.9.9.8",
        },
        body: JSON.stringify({ name: "From the frontend" }),
      }),
    );
    expect(response.status).toBe(200);
    expect(response.headers.get("Access-Control-Allow-Credentials")).toBe("true");
  });
});
