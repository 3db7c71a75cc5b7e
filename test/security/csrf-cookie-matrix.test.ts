// OWASP CSRF Prevention Cheat Sheet; API.md "Browser sessions": every state-changing route that a
// session may call, enumerated from the route table like the access matrix, refuses a cookie
// request without the session's X-CSRF-Token or from a foreign (or absent) Origin with 403
// csrf_failed, and nothing in D1 changes.
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { endpoints } from "../../src/routes/index";
import { liftRateLimit } from "../helpers/access-matrix";
import { api, expectProblem, type RegisteredUser, registerUser } from "../helpers/api";
import type { ProtectedRequest } from "../helpers/auth-matrix";
import { type CookieSession, cookieHeaders, cookieSignIn, FOREIGN_ORIGIN } from "../helpers/cookies";
import { routeSamples } from "../helpers/route-samples";

const routeOf = (endpoint: (typeof endpoints)[number]) =>
  `${endpoint.route.method.toUpperCase()} ${endpoint.route.path}`;

/** Every route a cookie session may call that is not a safe method (RFC 9110 §9.2.1). */
const stateChangingRoutes = endpoints
  .filter((endpoint) => ["session", "session_or_key"].includes(endpoint.access.auth))
  .filter((endpoint) => !["get", "head", "options"].includes(endpoint.route.method))
  .map(routeOf);

/** Every row of every table, as text: what "nothing changed" is checked against. */
async function databaseContents(): Promise<string> {
  const tables = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%' ORDER BY name",
  ).all<{ name: string }>();
  const contents: Record<string, unknown[]> = {};
  for (const { name } of tables.results) {
    contents[name] = (await env.DB.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()).results;
  }
  return JSON.stringify(contents);
}

const forgeries = {
  "without X-CSRF-Token": (session: CookieSession) => cookieHeaders(session, { csrf: null }),
  "from a foreign Origin, with the token": (session: CookieSession) =>
    cookieHeaders(session, { origin: FOREIGN_ORIGIN }),
  "without Origin, with the token": (session: CookieSession) => cookieHeaders(session, { origin: null }),
};

describe("CSRF: every state-changing route refuses a forged cookie request", () => {
  let user: RegisteredUser;
  let session: CookieSession;
  const requests = new Map<string, ProtectedRequest>();
  let before: string;

  beforeAll(async () => {
    user = await registerUser();
    // Three forgeries per route, more than 100 requests in a minute: the per-user limit (100/min)
    // is not what this file tests, so the user gets the enterprise limit of the access matrix.
    await liftRateLimit(user.id);
    for (const route of stateChangingRoutes) {
      const sample = routeSamples[route];
      if (sample) requests.set(route, await sample(user));
    }
    session = await cookieSignIn(user);
    before = await databaseContents();
    // A sample per route, a sign-in and a whole-database read: more than the default 10 s on a busy machine.
  }, 30_000);

  it("the route table has state-changing routes, and each has a sample request", () => {
    expect(stateChangingRoutes.length).toBeGreaterThan(30);
    expect(stateChangingRoutes.filter((route) => !routeSamples[route])).toEqual([]);
  });

  for (const route of stateChangingRoutes) {
    for (const [label, forge] of Object.entries(forgeries)) {
      it(`${route} ${label}: 403 csrf_failed`, async () => {
        const request = requests.get(route);
        if (!request) throw new Error(`no sample for ${route}`);
        const response = await api(request.method, request.path, { body: request.body, headers: forge(session) });
        await expectProblem(response, 403, "csrf_failed");
        expect(response.headers.get("Set-Cookie")).toBeNull();
      });
    }
  }

  it("nothing in D1 changed, and the cookie session still works", async () => {
    expect(await databaseContents()).toBe(before);
    expect((await api("GET", "/v1/me", { headers: cookieHeaders(session) })).status).toBe(200);
  });
});
