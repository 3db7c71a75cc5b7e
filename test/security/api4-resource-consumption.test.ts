// OWASP API4:2023 unrestricted resource consumption; ASVS 5.0 V2.4 (anti-automation), V6.3.1
// (credential stuffing and brute force), V4.1 (request size). Bodies, headers and pages are
// capped; the counters stay exact under concurrency; once an IP or an account is throttled no
// password is checked (no bcrypt), so a flood costs the attacker, not the service.
import { beforeAll, describe, expect, it } from "vitest";
import { endpoints } from "../../src/routes/index";
import { api, env, expectProblem, type RegisteredUser, randomIp, registerUser } from "../helpers/api";
import { ownedObjects } from "../helpers/fixtures";
import { asOperator } from "../helpers/operator";
import { readOutbox } from "../helpers/outbox";

let user: RegisteredUser;
let objects: Awaited<ReturnType<typeof ownedObjects>>;

beforeAll(async () => {
  user = await registerUser();
  objects = await ownedObjects(user);
  await asOperator("PATCH", `/v1/admin/users/${user.id}`, { body: { plan: "enterprise", rateLimitPerMinute: 10_000 } });
});

const concrete = (path: string) =>
  path
    .replace(
      "{id}",
      path.startsWith("/v1/teams")
        ? objects.teamId
        : path.includes("collections")
          ? objects.collectionId
          : objects.imageId,
    )
    .replace("{imageId}", objects.imageId)
    .replace("{userId}", user.id)
    .replace("{ip}", "192.0.2.1");

const tokenFor = (auth: string) => (auth === "operator" ? env.ADMIN_TOKEN : auth === "public" ? undefined : user.token);

describe("request size", () => {
  const withBodies = endpoints.filter(({ route }) => route.request?.body);

  it("covers every route that takes a JSON body", () => {
    expect(withBodies.length).toBeGreaterThanOrEqual(20);
  });

  for (const { route, access } of withBodies) {
    it(`${route.method.toUpperCase()} ${route.path} refuses a body over 64 KiB with 413 and stores nothing`, async () => {
      const before = await env.DB.prepare(
        "SELECT (SELECT COUNT(*) FROM images) + (SELECT COUNT(*) FROM collections) + (SELECT COUNT(*) FROM teams) + (SELECT COUNT(*) FROM users) AS n",
      ).first<{ n: number }>();
      const body = JSON.stringify({ name: "x".repeat(65 * 1024) });
      const response = await api(route.method.toUpperCase(), concrete(route.path), {
        token: tokenFor(access.auth),
        body,
      });
      await expectProblem(response, 413, "payload_too_large");
      const after = await env.DB.prepare(
        "SELECT (SELECT COUNT(*) FROM images) + (SELECT COUNT(*) FROM collections) + (SELECT COUNT(*) FROM teams) + (SELECT COUNT(*) FROM users) AS n",
      ).first<{ n: number }>();
      expect(after).toEqual(before);
    });
  }

  it("a body that lies about its length is still cut at 64 KiB", async () => {
    const response = await api("POST", "/v1/collections", {
      token: user.token,
      body: JSON.stringify({ name: "x".repeat(70 * 1024) }),
      headers: { "Content-Length": "10" },
    });
    expect([400, 413]).toContain(response.status);
  });

  it("a 10,000-deep JSON body is a 400, not a crash", async () => {
    const deep = `${"[".repeat(10_000)}${"]".repeat(10_000)}`;
    const response = await api("POST", "/v1/collections", { token: user.token, body: `{"name":${deep}}` });
    await expectProblem(response, 400, "validation_failed");
  });

  it.each([
    ["a 100 KiB bearer token", `Bearer ${"A".repeat(100 * 1024)}`],
    ["a 100 KiB API key", `Bearer ibk_${"A".repeat(100 * 1024)}`],
    ["a bearer made of 10,000 dots", `Bearer ${".".repeat(10_000)}`],
  ])("%s is refused with 401", async (_label, authorization) => {
    const response = await api("GET", "/v1/me", { headers: { Authorization: authorization } });
    await expectProblem(response, 401, "unauthorized");
  });
});

describe("pagination", () => {
  const lists = () => [
    "/v1/images",
    "/v1/collections",
    "/v1/teams",
    "/v1/sessions",
    "/v1/audit-log",
    `/v1/images/${objects.imageId}/comments`,
    `/v1/teams/${objects.teamId}/audit-log`,
  ];

  it("every list takes 1..100 items a page and refuses anything else with 400", async () => {
    for (const path of lists()) {
      expect((await api("GET", `${path}?limit=100`, { token: user.token })).status, path).toBe(200);
      for (const limit of ["101", "0", "-1", "1e9", "abc", "100.5", "99999999999999999999"]) {
        const response = await api("GET", `${path}?limit=${limit}`, { token: user.token });
        expect(response.status, `${path}?limit=${limit}`).toBe(400);
      }
    }
  });

  it("a forged or oversized cursor is a 400, not a scan", async () => {
    for (const path of lists()) {
      for (const cursor of ["not-a-cursor", "A".repeat(5000), btoa("' OR 1=1 --")]) {
        const response = await api("GET", `${path}?cursor=${encodeURIComponent(cursor)}`, { token: user.token });
        expect(response.status, path).toBe(400);
      }
    }
  });
});

describe("no password is checked once an IP or an account is throttled", () => {
  async function checkedFailures(userId: string) {
    const { results } = await env.DB.prepare(
      "SELECT json_extract(metadata, '$.reason') AS reason, json_extract(metadata, '$.count') AS count FROM audit_log WHERE user_id = ? AND type = 'auth.login_failed'",
    )
      .bind(userId)
      .all<{ reason: string; count: number }>();
    // Repeats in one minute are one row with a count: each is listed as many times as it happened.
    return results.flatMap((row) => Array<string>(row.count).fill(row.reason));
  }

  it("40 concurrent guesses from one IP check at most 5 passwords, and do not lock the account", async () => {
    const victim = await registerUser();
    const ip = randomIp();
    await Promise.all(
      Array.from({ length: 40 }, (_, index) =>
        api("POST", "/v1/auth/login", { ip, body: { email: victim.email, password: `guess number ${index}` } }),
      ),
    );
    const reasons = await checkedFailures(victim.id);
    expect(reasons.filter((reason) => reason === "bad_password").length).toBeLessThanOrEqual(5);
    expect(reasons.length).toBe(40);
    // The account lockout counts checked failures only: 10 would lock it. It is not locked.
    const response = await api("POST", "/v1/auth/login", { body: { email: victim.email, password: victim.password } });
    expect(response.status).toBe(200);
  });

  it("a locked account checks no password, whatever the number of IPs", async () => {
    const victim = await registerUser();
    for (let index = 0; index < 10; index++) {
      await api("POST", "/v1/auth/login", { body: { email: victim.email, password: `guess ${index}` } });
    }
    await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        api("POST", "/v1/auth/login", { body: { email: victim.email, password: `later guess ${index}` } }),
      ),
    );
    const right = await api("POST", "/v1/auth/login", { body: { email: victim.email, password: victim.password } });
    await expectProblem(right, 423, "account_locked");
    const reasons = await checkedFailures(victim.id);
    expect(reasons.filter((reason) => reason === "bad_password").length).toBe(10);
    expect(reasons.filter((reason) => reason === "locked").length).toBe(31);
  });
});

describe("mail and reset counters under concurrency", () => {
  it("20 concurrent resets for one email from 20 IPs send exactly 3 mails, and all answer 202", async () => {
    const victim = await registerUser();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => api("POST", "/v1/auth/password/forgot", { body: { email: victim.email } })),
    );
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(202));
    const resets = (await readOutbox(victim.email)).filter((mail) => /reset your/i.test(mail.subject));
    expect(resets.length).toBe(3);
  });

  it("30 concurrent reset requests from one IP: exactly 10 answered, 20 refused with 429", async () => {
    const ip = randomIp();
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, index) =>
        api("POST", "/v1/auth/password/forgot", { ip, body: { email: `nobody${index}@example.com` } }),
      ),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 202).length).toBe(10);
    expect(statuses.filter((status) => status === 429).length).toBe(20);
  });
});
