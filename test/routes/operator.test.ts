import { describe, expect, it } from "vitest";
import { api, env, expectProblem, login, randomIp, registerUser } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { asOperator } from "../helpers/operator";
import { tokenFromMail, waitForMail } from "../helpers/outbox";
import { insertSessions, liveSessionCount } from "../helpers/sessions";

async function auditOf(type: string) {
  const { results } = await env.DB.prepare("SELECT user_id, ip, metadata FROM audit_log WHERE type = ?")
    .bind(type)
    .all<{
      user_id: string | null;
      ip: string;
      metadata: string;
    }>();
  return results;
}

describe("operator authentication", () => {
  it.each([
    ["no token", undefined],
    ["a wrong token", "not-the-admin-token-0123456789abcdef0123456789"],
    ["a user's session token", "session"],
  ])("refuses %s with 401", async (_label, token) => {
    const user = await registerUser();
    const bearer = token === "session" ? user.token : token;
    const response = await api("POST", `/v1/admin/users/${user.id}/unlock`, bearer ? { token: bearer } : {});
    await expectProblem(response, 401, "unauthorized");
  });
});

describe("containment actions take effect on the next request and are audited with the operator's IP", () => {
  it("revoke-all kills every session and API key of the user", async () => {
    const user = await registerUser();
    const second = await login(user.email, user.password);
    const { key } = await createKey(user.token);
    expect((await api("GET", "/v1/images", { token: key })).status).toBe(200);
    const response = await asOperator("POST", `/v1/admin/users/${user.id}/revoke-all`, { ip: "192.0.2.200" });
    expect(response.status).toBe(204);
    for (const token of [user.token, second, key]) {
      await expectProblem(await api("GET", "/v1/images", { token }), 401, "unauthorized");
    }
    const rows = await auditOf("admin.credentials_revoked");
    expect(rows.find((row) => row.user_id === user.id)).toMatchObject({ ip: "192.0.2.200" });
  });

  it("revoke-all cannot be jammed: with 10,001 sessions and 200 keys it answers 204 and every one is refused; new ones work", async () => {
    const user = await registerUser();
    const second = await login(user.email, user.password);
    const key = await createKey(user.token);
    const rolled = await api("POST", `/v1/api-keys/${key.id}/roll`, {
      token: user.token,
      body: { gracePeriodSeconds: 3600 },
    });
    const { key: rolledKey } = (await rolled.json()) as { key: string };
    await insertSessions(user.id, 10_001);
    // Keys past the cap, as rolls with grace used to leave them (nobody holds these).
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
       INSERT INTO api_keys (id, user_id, name, key_hash, prefix, last_four, scopes, created_at)
       SELECT 'key_bulk_' || ? || i, ?, 'bulk', 'hash_' || ? || i, 'imgbot_live_0000', '0000', '["read"]', ? FROM n`,
    )
      .bind(user.id, user.id, user.id, Date.now() - 60_000)
      .run();
    expect((await api("GET", "/v1/images", { token: key.key })).status).toBe(200);

    expect((await asOperator("POST", `/v1/admin/users/${user.id}/revoke-all`)).status).toBe(204);
    for (const token of [user.token, second, key.key, rolledKey]) {
      await expectProblem(await api("GET", "/v1/images", { token }), 401, "unauthorized");
    }
    expect(await liveSessionCount(user.id)).toBe(0);
    const liveKeys = await env.DB.prepare(
      "SELECT count(*) AS n FROM api_keys WHERE user_id = ? AND (revoked_at IS NULL OR revoked_at > ?)",
    )
      .bind(user.id, Date.now())
      .first<{ n: number }>();
    expect(liveKeys?.n).toBe(0);

    const fresh = await login(user.email, user.password);
    expect((await api("GET", "/v1/me", { token: fresh })).status).toBe(200);
    const newKey = await createKey(fresh);
    expect((await api("GET", "/v1/images", { token: newKey.key })).status).toBe(200);
  });

  it("unlock clears an account lock", async () => {
    const user = await registerUser();
    for (let index = 0; index < 10; index++) {
      await api("POST", "/v1/auth/login", { body: { email: user.email, password: `wrong ${index}` } });
    }
    await expectProblem(
      await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } }),
      423,
      "account_locked",
    );
    expect((await asOperator("POST", `/v1/admin/users/${user.id}/unlock`, { ip: "192.0.2.201" })).status).toBe(204);
    expect((await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } })).status).toBe(
      200,
    );
    const rows = await auditOf("auth.unlocked");
    expect(rows.find((row) => row.user_id === user.id)).toMatchObject({ ip: "192.0.2.201" });
  });

  it("an IP block refuses every request from it, authenticated or not, until lifted", async () => {
    const user = await registerUser();
    const ip = randomIp();
    expect((await api("GET", "/v1/me", { token: user.token, ip })).status).toBe(200);
    const created = await asOperator("POST", "/v1/admin/ip-blocks", {
      body: { ip, reason: "credential stuffing" },
      ip: "192.0.2.202",
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toMatchObject({ ip, reason: "credential stuffing", expiresAt: null });

    await expectProblem(await api("GET", "/v1/me", { token: user.token, ip }), 403, "ip_blocked");
    await expectProblem(
      await api("POST", "/v1/auth/login", { ip, body: { email: user.email, password: user.password } }),
      403,
      "ip_blocked",
    );
    await expectProblem(await api("GET", "/v1/nowhere", { ip }), 403, "ip_blocked");
    expect((await api("GET", "/v1/me", { token: user.token, ip: randomIp() })).status).toBe(200);

    expect((await asOperator("DELETE", `/v1/admin/ip-blocks/${ip}`)).status).toBe(204);
    expect((await api("GET", "/v1/me", { token: user.token, ip })).status).toBe(200);
    const blocked = (await auditOf("admin.ip_blocked")).find((row) => JSON.parse(row.metadata).blockedIp === ip);
    expect(blocked).toMatchObject({ ip: "192.0.2.202" });
    expect((await auditOf("admin.ip_unblocked")).some((row) => JSON.parse(row.metadata).blockedIp === ip)).toBe(true);
  });

  it("blocks an IPv6 address whatever its spelling, with the rest of its /64 and nothing beyond", async () => {
    const user = await registerUser();
    await asOperator("POST", "/v1/admin/ip-blocks", { body: { ip: "2001:DB8:0:0::7", reason: "abuse" } });
    await expectProblem(await api("GET", "/v1/me", { token: user.token, ip: "2001:db8::7" }), 403, "ip_blocked");
    // The same subscriber picking another address of its /64 is still blocked.
    const sibling = await api("GET", "/v1/me", { token: user.token, ip: "2001:db8::ffff:1234:5678:9abc" });
    await expectProblem(sibling, 403, "ip_blocked");
    expect((await api("GET", "/v1/me", { token: user.token, ip: "2001:db8:0:1::7" })).status).toBe(200);
  });

  it.each([
    ["a prefix out of bounds", { ip: "10.0.0.0/33", reason: "x" }],
    ["a hostname", { ip: "example.com", reason: "x" }],
    ["a past expiry", { ip: "192.0.2.9", reason: "x", expiresAt: "2020-01-01T00:00:00.000Z" }],
    ["no reason", { ip: "192.0.2.9" }],
  ])("refuses a block with %s (400)", async (_label, body) => {
    await expectProblem(await asOperator("POST", "/v1/admin/ip-blocks", { body }), 400, "validation_failed");
  });

  it("sets a plan and answers with the effective limit", async () => {
    const user = await registerUser();
    const response = await asOperator("PATCH", `/v1/admin/users/${user.id}`, {
      body: { plan: "enterprise", rateLimitPerMinute: 42 },
    });
    expect(await response.json()).toMatchObject({
      id: user.id,
      plan: "enterprise",
      rateLimitPerMinute: 42,
      effectiveRateLimitPerMinute: 42,
    });
    expect(await (await api("GET", "/v1/me", { token: user.token })).json()).toMatchObject({ plan: "enterprise" });
    const rows = await auditOf("admin.user_updated");
    expect(rows.some((row) => row.user_id === user.id)).toBe(true);
  });

  it("answers 404 for an unknown user", async () => {
    await expectProblem(await asOperator("POST", "/v1/admin/users/usr_nobody/unlock"), 404, "not_found");
  });
});

describe("force-password-reset (containment of a stolen password)", () => {
  it("kills every session and key, refuses the right password with 403 password_reset_required until the mailed link is used", async () => {
    const user = await registerUser();
    const { key } = await createKey(user.token);
    const response = await asOperator("POST", `/v1/admin/users/${user.id}/force-password-reset`);
    expect(response.status).toBe(204);
    for (const token of [user.token, key]) {
      await expectProblem(await api("GET", "/v1/images", { token }), 401, "unauthorized");
    }
    // The attacker holding the password gets no session; a wrong password still looks like any other.
    const refused = await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } });
    await expectProblem(refused, 403, "password_reset_required");
    const wrong = await api("POST", "/v1/auth/login", { body: { email: user.email, password: "not the password" } });
    await expectProblem(wrong, 401, "invalid_credentials");
    expect((await auditOf("admin.password_reset_forced")).find((row) => row.user_id === user.id)).toBeDefined();

    const mail = await waitForMail(user.email, /must be reset/);
    const reset = await api("POST", "/v1/auth/password/reset", {
      body: { token: tokenFromMail(mail), password: `new ${user.password}` },
    });
    expect(reset.status).toBe(204);
    await expectProblem(
      await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } }),
      401,
      "invalid_credentials",
    );
    expect((await login(user.email, `new ${user.password}`)).length).toBeGreaterThan(20);
  });

  it("an unknown user is 404 and nothing is mailed", async () => {
    const response = await asOperator("POST", "/v1/admin/users/usr_doesnotexist000000/force-password-reset");
    await expectProblem(response, 404, "not_found");
  });
});

describe("GET /v1/admin/audit-log (operator-wide search)", () => {
  type Page = {
    data: { id: string; type: string; userId: string | null; ip: string | null }[];
    nextCursor: string | null;
  };
  const search = async (query: string) => {
    const response = await asOperator("GET", `/v1/admin/audit-log?${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Page;
  };

  it("filters by user, address, type and time across every user, newest first, with the addresses an investigation needs", async () => {
    const attackerIp = "198.51.100.77";
    const victims = [await registerUser(), await registerUser()];
    const before = new Date().toISOString();
    for (const victim of victims) {
      await api("POST", "/v1/auth/login", {
        body: { email: victim.email, password: "wrong password" },
        ip: attackerIp,
      });
    }
    const byIp = await search(`ip=${attackerIp}&type=auth.login_failed`);
    expect(byIp.data.map((row) => row.userId).sort()).toEqual(victims.map((victim) => victim.id).sort());
    expect(byIp.data.every((row) => row.ip === attackerIp)).toBe(true);
    const byUser = await search(`userId=${victims[0]?.id}&type=auth.login_failed&from=${before}`);
    expect(byUser.data).toHaveLength(1);
    expect((await search(`ip=${attackerIp}&to=${before}`)).data).toEqual([]);
  });

  it("pages with a cursor: no row twice, none left out", async () => {
    const user = await registerUser();
    for (let i = 0; i < 5; i += 1)
      await api("POST", "/v1/auth/logout-all", { token: await login(user.email, user.password) });
    const seen: string[] = [];
    let cursor: string | null = "";
    while (cursor !== null) {
      const page: Page = await search(`userId=${user.id}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.data.map((row) => row.id));
      cursor = page.nextCursor;
    }
    const all = await search(`userId=${user.id}&limit=100`);
    expect(seen).toEqual(all.data.map((row) => row.id));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it.each([
    ["a range of addresses", "ip=198.51.100.0/24"],
    ["a malformed user id", "userId=x' OR 1=1--"],
    ["an inverted time range", "from=2026-11-30T00:00:00.000Z&to=2026-11-29T00:00:00.000Z"],
    ["a date that is not ISO-8601", "from=yesterday"],
    ["an unknown filter", "email=a@example.com"],
  ])("refuses %s with 400 validation_failed", async (_label, query) => {
    await expectProblem(await asOperator("GET", `/v1/admin/audit-log?${query}`), 400, "validation_failed");
  });
});
