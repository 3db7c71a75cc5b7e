// OWASP API2:2023 (broken authentication: login throttling fails closed), API4:2023 (unrestricted
// resource consumption: rate limits fail closed), API8:2023 (security misconfiguration: errors);
// ASVS 5.0 V16.5.2 (operate securely when an external resource fails), V16.5.3 (no fail-open),
// V16.5.1 (generic error body), V2.3.3 (business logic: nothing half-done). A guard Durable Object
// that throws or never answers refuses the request with 503 problem+json, and nothing the
// request would have done is done.
import { afterEach, describe, expect, it, vi } from "vitest";
import { BLOCKS_MAX_AGE_MS } from "../../src/auth/ip-blocks";
import { GUARD_TIMEOUT_MS } from "../../src/services/guard-client";
import { api, env, expectProblem, randomIp, registerUser, uniqueEmail } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { fetchWithEnv } from "../helpers/custom-env";
import { faultyNamespace, type GuardFault, guardNamespaces } from "../helpers/faults";

type Guard = keyof typeof guardNamespaces;

/**
 * Sends one request to the Worker with one guard's named methods failing. Everything else —
 * D1, R2, the other guards and the guard's other methods — is the real binding.
 */
function withFaultyGuard(
  guard: Guard,
  methods: Record<string, GuardFault>,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; ip?: string } = {},
) {
  const headers = new Headers({ "CF-Connecting-IP": options.ip ?? randomIp() });
  if (options.token) headers.set("Authorization", `Bearer ${options.token}`);
  if (options.body !== undefined) headers.set("Content-Type", "application/json");
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  return fetchWithEnv(
    { [guard]: faultyNamespace(guardNamespaces[guard], methods) },
    new Request(`https://edge.test${path}`, { method, headers, body }),
  );
}

/** 503 `unavailable` as problem+json, with nothing of the fault in the body. */
async function expectUnavailable(response: Response) {
  const problem = await expectProblem(response, 503, "unavailable");
  const body = JSON.stringify(problem);
  expect(body).not.toMatch(/injected|Error|TimeoutError|Durable|guard|\bat\s/);
  return problem;
}

const consoleErrors = () => vi.spyOn(console, "error").mockImplementation(() => {});

afterEach(() => {
  vi.restoreAllMocks();
});

async function sessionIds(token: string): Promise<string[]> {
  const response = await api("GET", "/v1/sessions", { token });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { id: string }[] }).data.map((session) => session.id);
}

async function auditTypes(userId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT type FROM audit_log WHERE user_id = ? ORDER BY created_at")
    .bind(userId)
    .all<{ type: string }>();
  return results.map((row) => row.type);
}

describe("an authenticated request while the user's guard (UserGuard) fails", () => {
  it("throws: 503, the write is not performed and no budget is used, for a JWT and an API key alike", async () => {
    const user = await registerUser({ name: "Before" });
    const key = await createKey(user.token, { scopes: ["read", "manage"] });
    const errors = consoleErrors();

    await expectUnavailable(
      await withFaultyGuard("USER_GUARD", { admit: "throws" }, "PATCH", "/v1/me", {
        token: user.token,
        body: { name: "After" },
      }),
    );
    await expectUnavailable(
      await withFaultyGuard("USER_GUARD", { admit: "throws" }, "GET", "/v1/images", { token: key.key }),
    );
    expect(errors.mock.calls.map((call) => call.join(" "))).toContain("user guard unavailable: Error");

    const me = await api("GET", "/v1/me", { token: user.token });
    expect(((await me.json()) as { name: string }).name).toBe("Before");
    // createKey was the user's first admitted request, this is the second: the refused ones used nothing.
    expect(me.headers.get("RateLimit-Remaining")).toBe("98");
  });

  it(`hangs: 503 once ${GUARD_TIMEOUT_MS} ms have passed, and nothing is created`, async () => {
    const user = await registerUser();
    const errors = consoleErrors();
    const started = Date.now();
    const response = await withFaultyGuard("USER_GUARD", { admit: "hangs" }, "POST", "/v1/collections", {
      token: user.token,
      body: { name: "Never" },
    });
    const elapsed = Date.now() - started;
    await expectUnavailable(response);
    expect(elapsed).toBeGreaterThanOrEqual(GUARD_TIMEOUT_MS - 50);
    expect(elapsed).toBeLessThan(GUARD_TIMEOUT_MS + 5_000);
    expect(errors.mock.calls.map((call) => call.join(" "))).toContain("user guard unavailable: TimeoutError");

    const list = await api("GET", "/v1/collections", { token: user.token });
    expect(((await list.json()) as { data: unknown[] }).data).toEqual([]);
    expect(list.headers.get("RateLimit-Remaining")).toBe("99");
  });
});

describe("login while the IP guard or the account guard fails", () => {
  it("IP guard throws on the login attempt: 503, no session, no login audited", async () => {
    const user = await registerUser({ verified: false });
    consoleErrors();
    await expectUnavailable(
      await withFaultyGuard("IP_GUARD", { beginLoginAttempt: "throws" }, "POST", "/v1/auth/login", {
        body: { email: user.email, password: user.password },
      }),
    );
    expect(await sessionIds(user.token)).toHaveLength(1);
    expect(await auditTypes(user.id)).toEqual(["user.registered"]);
  });

  it("account guard throws: 503 for the right and the wrong password alike, and no session", async () => {
    const user = await registerUser({ verified: false });
    consoleErrors();
    const ip = randomIp();
    const answers = [];
    for (const password of [user.password, "not the password"]) {
      const response = await withFaultyGuard(
        "ACCOUNT_GUARD",
        { beginLoginAttempt: "throws" },
        "POST",
        "/v1/auth/login",
        {
          ip,
          body: { email: user.email, password },
        },
      );
      const { requestId: _, ...problem } = await expectUnavailable(response);
      answers.push(problem);
    }
    expect(answers[0]).toEqual(answers[1]);
    expect(await sessionIds(user.token)).toHaveLength(1);
    expect(await auditTypes(user.id)).toEqual(["user.registered"]);
  });

  it("account guard throws when the attempt is settled, after the right password: 503 and no session", async () => {
    const user = await registerUser();
    consoleErrors();
    await expectUnavailable(
      await withFaultyGuard("ACCOUNT_GUARD", { settleLoginAttempt: "throws" }, "POST", "/v1/auth/login", {
        body: { email: user.email, password: user.password },
      }),
    );
    expect(await sessionIds(user.token)).toHaveLength(1);
    expect(await auditTypes(user.id)).not.toContain("auth.login");
  });

  it(`account guard hangs: 503 once ${GUARD_TIMEOUT_MS} ms have passed, and no session`, async () => {
    const user = await registerUser({ verified: false });
    const errors = consoleErrors();
    const started = Date.now();
    const response = await withFaultyGuard("ACCOUNT_GUARD", { beginLoginAttempt: "hangs" }, "POST", "/v1/auth/login", {
      body: { email: user.email, password: user.password },
    });
    expect(Date.now() - started).toBeLessThan(GUARD_TIMEOUT_MS + 5_000);
    await expectUnavailable(response);
    expect(errors.mock.calls.map((call) => call.join(" "))).toContain("account guard unavailable: TimeoutError");
    expect(await sessionIds(user.token)).toHaveLength(1);
    expect(await auditTypes(user.id)).toEqual(["user.registered"]);

    // The guard itself is fine: once it answers again, the same login goes through.
    expect((await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } })).status).toBe(
      200,
    );
  });
});

describe("an unauthenticated metered request while the IP guard fails", () => {
  it("throws: register answers 503 and creates no account; /health (unmetered) stays up", async () => {
    const email = uniqueEmail("fault");
    consoleErrors();
    await expectUnavailable(
      await withFaultyGuard("IP_GUARD", { admitUnauthenticated: "throws" }, "POST", "/v1/auth/register", {
        body: { email, password: "a long enough passphrase" },
      }),
    );
    const row = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first();
    expect(row).toBeNull();

    const health = await withFaultyGuard("IP_GUARD", { admitUnauthenticated: "throws" }, "GET", "/health");
    expect(health.status).toBe(200);
  });

  it("throws for a request with a forged credential: 503, never an answer that skipped the IP count", async () => {
    consoleErrors();
    await expectUnavailable(
      await withFaultyGuard("IP_GUARD", { admitUnauthenticated: "throws" }, "GET", "/v1/images", {
        token: "not-a-jwt",
      }),
    );
  });

  it(`hangs: forgot-password answers 503 once ${GUARD_TIMEOUT_MS} ms have passed and mails nothing`, async () => {
    const user = await registerUser({ verified: false });
    const errors = consoleErrors();
    const response = await withFaultyGuard(
      "IP_GUARD",
      { admitUnauthenticated: "hangs" },
      "POST",
      "/v1/auth/password/forgot",
      {
        body: { email: user.email },
      },
    );
    await expectUnavailable(response);
    expect(errors.mock.calls.map((call) => call.join(" "))).toContain("ip guard unavailable: TimeoutError");
    const tokens = await env.DB.prepare("SELECT count(*) AS n FROM password_reset_tokens WHERE user_id = ?")
      .bind(user.id)
      .first<{ n: number }>();
    expect(tokens?.n).toBe(0);
    const mails = await env.DB.prepare(
      "SELECT count(*) AS n FROM email_outbox WHERE to_address = ? AND subject LIKE '%reset%'",
    )
      .bind(user.email)
      .first<{ n: number }>();
    expect(mails?.n).toBe(0);
    expect(await auditTypes(user.id)).toEqual(["user.registered"]);
  });
});

describe("the block list cannot be read", () => {
  it("an isolate whose copy of the blocks is 5 s old refuses (503) rather than skip the check", async () => {
    const user = await registerUser();
    const errors = consoleErrors();
    // No request for 5 s: this isolate's copy of the block list is now too old to use.
    await new Promise((resolve) => setTimeout(resolve, BLOCKS_MAX_AGE_MS + 100));
    await expectUnavailable(
      await withFaultyGuard("IP_BLOCK_LIST", { snapshot: "throws" }, "GET", "/v1/me", { token: user.token }),
    );
    expect(errors.mock.calls.map((call) => call.join(" "))).toContain("ip block list unavailable: Error");
    // Once the list answers again, so does the service.
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
  });
});
