import { describe, expect, it, vi } from "vitest";
import { api, env, expectProblem, registerUser } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { injectClock, ManualClock } from "../helpers/clock";
import { createImage } from "../helpers/fixtures";

const useKey = (key: string, path = "/v1/images", ip?: string) =>
  api("GET", path, { token: key, ...(ip ? { ip } : {}) });

describe("POST /v1/api-keys", () => {
  it("returns the key once; lists show prefix and last four, never the key or its hash", async () => {
    const user = await registerUser();
    const created = await createKey(user.token, { name: "deploy bot", scopes: ["read"] });
    expect(created.key).toMatch(/^imgbot_live_[0-9a-f]{64}$/);
    expect(created.prefix).toBe(created.key.slice(0, 20));
    expect(created.lastFour).toBe(created.key.slice(-4));

    const list = await api("GET", "/v1/api-keys", { token: user.token });
    const text = await list.text();
    expect(text).not.toContain(created.key);
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE id = ?")
      .bind(created.id)
      .first<Record<string, string>>();
    expect(JSON.stringify(row)).not.toContain(created.key);
    expect(text).not.toContain(row?.key_hash as string);
    expect(JSON.parse(text).data[0]).toMatchObject({
      id: created.id,
      name: "deploy bot",
      scopes: ["read"],
      revokedAt: null,
    });
    expect(JSON.parse(text).data[0].key).toBeUndefined();
  });

  it.each([
    ["no scope", { scopes: [] }, "scopes"],
    ["an unknown scope", { scopes: ["admin"] }, "scopes.0"],
    ["a repeated scope", { scopes: ["read", "read"] }, "scopes"],
    ["a past expiry", { expiresAt: "2020-01-01T00:00:00.000Z" }, "expiresAt"],
    ["a shortened IPv4", { allowedIps: ["127.1"] }, "allowedIps.0"],
    ["an octet over 255", { allowedIps: ["999.1.1.1"] }, "allowedIps.0"],
    ["a prefix over 32", { allowedIps: ["10.0.0.0/33"] }, "allowedIps.0"],
    ["a malformed IPv6", { allowedIps: ["2001:db8::g"] }, "allowedIps.0"],
    ["a hostname", { allowedIps: ["example.com"] }, "allowedIps.0"],
  ])("refuses %s with 400", async (_label, body, path) => {
    const user = await registerUser();
    const response = await api("POST", "/v1/api-keys", {
      token: user.token,
      body: { name: "k", scopes: ["read"], ...body },
    });
    const problem = await expectProblem(response, 400, "validation_failed");
    expect(problem.errors?.map((error) => error.path)).toContain(path);
  });

  it("allows at most 50 live keys, exactly, even under concurrency", async () => {
    const user = await registerUser();
    for (let index = 0; index < 47; index++) await createKey(user.token, { name: `k${index}` });
    const statuses = (
      await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          api("POST", "/v1/api-keys", { token: user.token, body: { name: `r${index}`, scopes: ["read"] } }),
        ),
      )
    ).map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(3);
    expect(statuses.filter((status) => status === 409)).toHaveLength(3);
  });
});

describe("authenticating with a key", () => {
  it.each([
    ["a malformed key", "imgbot_live_1234"],
    ["an unknown key", `imgbot_live_${"ab".repeat(32)}`],
    ["upper-case hex", `imgbot_live_${"AB".repeat(32)}`],
    ["a wrong prefix", `imgbot_test_${"ab".repeat(32)}`],
  ])("refuses %s with 401", async (_label, key) => {
    await expectProblem(await useKey(key), 401, "unauthorized");
  });

  it("never reads a key from the query string", async () => {
    const user = await registerUser();
    const { key } = await createKey(user.token);
    for (const name of ["api_key", "key", "token", "access_token"]) {
      await expectProblem(await api("GET", `/v1/images?${name}=${key}`), 401, "unauthorized");
    }
  });

  it("refuses an expired key", async () => {
    const user = await registerUser();
    const created = await createKey(user.token);
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1000, created.id)
      .run();
    await expectProblem(await useKey(created.key), 401, "unauthorized");
  });

  it("a revoked key fails on the very next request, even right after it was used (warm cache)", async () => {
    const user = await registerUser();
    const { id, key } = await createKey(user.token);
    expect((await useKey(key)).status).toBe(200);
    expect((await api("DELETE", `/v1/api-keys/${id}`, { token: user.token })).status).toBe(204);
    await expectProblem(await useKey(key), 401, "unauthorized");
  });

  it("records when a key was last used, off the response path", async () => {
    const user = await registerUser();
    const { id, key } = await createKey(user.token);
    expect((await useKey(key)).status).toBe(200);
    await vi.waitFor(async () => {
      const row = await env.DB.prepare("SELECT last_used_at FROM api_keys WHERE id = ?")
        .bind(id)
        .first<{ last_used_at: number | null }>();
      expect(row?.last_used_at).toBeGreaterThan(Date.now() - 60_000);
    });
  });

  it("sees only its owner's objects: another tenant's image is 404", async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const image = await createImage(alice.token);
    const { key } = await createKey(bob.token);
    await expectProblem(await useKey(key, `/v1/images/${image.id}`), 404, "not_found");
    await expectProblem(await api("DELETE", `/v1/images/${image.id}`, { token: key }), 404, "not_found");
  });
});

describe("scopes", () => {
  it("read, generate and manage each open only their routes (403 forbidden otherwise)", async () => {
    const user = await registerUser();
    const image = await createImage(user.token);
    const read = (await createKey(user.token, { scopes: ["read"] })).key;
    const generate = (await createKey(user.token, { scopes: ["generate"] })).key;
    const manage = (await createKey(user.token, { scopes: ["manage"] })).key;
    const generation = { prompt: "scoped", size: "256x256" };

    expect((await api("GET", `/v1/images/${image.id}`, { token: read })).status).toBe(200);
    expect((await api("GET", `/v1/images/${image.id}/content`, { token: read })).status).toBe(200);
    expect((await api("GET", "/v1/collections", { token: read })).status).toBe(200);
    await expectProblem(
      await api("POST", "/v1/images/generations", { token: read, body: generation }),
      403,
      "forbidden",
    );
    await expectProblem(
      await api("PATCH", `/v1/images/${image.id}`, { token: read, body: { title: "x" } }),
      403,
      "forbidden",
    );

    expect((await api("POST", "/v1/images/generations", { token: generate, body: generation })).status).toBe(201);
    await expectProblem(await api("GET", "/v1/images", { token: generate }), 403, "forbidden");

    expect((await api("PATCH", `/v1/images/${image.id}`, { token: manage, body: { title: "x" } })).status).toBe(200);
    expect((await api("POST", "/v1/collections", { token: manage, body: { name: "c" } })).status).toBe(201);
    await expectProblem(await api("GET", "/v1/images", { token: manage }), 403, "forbidden");
    expect((await api("DELETE", `/v1/images/${image.id}`, { token: manage })).status).toBe(204);
  });

  it.each([
    ["GET", "/v1/me"],
    ["GET", "/v1/sessions"],
    ["GET", "/v1/api-keys"],
    ["POST", "/v1/api-keys"],
    ["GET", "/v1/teams"],
    ["POST", "/v1/auth/logout"],
    ["POST", "/v1/auth/password/change"],
  ])("%s %s takes a session JWT only: a key with every scope gets 403", async (method, path) => {
    const user = await registerUser();
    const { key } = await createKey(user.token);
    await expectProblem(
      await api(method, path, { token: key, body: method === "POST" ? {} : undefined }),
      403,
      "forbidden",
    );
  });
});

describe("IP allowlist", () => {
  it.each([
    ["an IPv4 address", "203.0.113.9", "203.0.113.9", "203.0.113.10"],
    ["an IPv4 CIDR", "198.51.100.0/24", "198.51.100.200", "198.51.101.1"],
    ["an IPv6 address", "2001:db8::1", "2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::2"],
    ["an IPv6 CIDR", "2001:db8:abcd::/48", "2001:db8:abcd:12::7", "2001:db8:abce::1"],
    ["IPv4 seen as IPv4-mapped IPv6", "192.0.2.0/24", "::ffff:192.0.2.5", "::ffff:192.0.3.5"],
  ])("%s: inside passes, outside gets 403 ip_not_allowed", async (_label, entry, inside, outside) => {
    const user = await registerUser();
    const { key } = await createKey(user.token, { allowedIps: [entry] });
    expect((await useKey(key, "/v1/images", inside)).status).toBe(200);
    await expectProblem(await useKey(key, "/v1/images", outside), 403, "ip_not_allowed");
  });

  it("ignores X-Forwarded-For", async () => {
    const user = await registerUser();
    const { key } = await createKey(user.token, { allowedIps: ["203.0.113.9"] });
    const response = await api("GET", "/v1/images", {
      token: key,
      ip: "198.51.100.1",
      headers: { "X-Forwarded-For": "203.0.113.9" },
    });
    await expectProblem(response, 403, "ip_not_allowed");
  });
});

describe("rolling a key", () => {
  it("without grace: the old key dies at once, the new one carries the same settings", async () => {
    const user = await registerUser();
    const old = await createKey(user.token, { name: "rolled", scopes: ["read"], allowedIps: ["10.0.0.0/8"] });
    expect((await useKey(old.key, "/v1/images", "10.1.2.3")).status).toBe(200);
    const response = await api("POST", `/v1/api-keys/${old.id}/roll`, { token: user.token, body: {} });
    expect(response.status).toBe(201);
    const fresh = (await response.json()) as typeof old & { name: string };
    expect(fresh).toMatchObject({ name: "rolled", scopes: ["read"], allowedIps: ["10.0.0.0/8"] });
    expect(fresh.key).not.toBe(old.key);
    await expectProblem(await useKey(old.key, "/v1/images", "10.1.2.3"), 401, "unauthorized");
    expect((await useKey(fresh.key, "/v1/images", "10.1.2.3")).status).toBe(200);
  });

  it("with grace: the old key works until the grace period ends, then dies", async () => {
    const user = await registerUser();
    const old = await createKey(user.token);
    expect((await useKey(old.key)).status).toBe(200);
    const response = await api("POST", `/v1/api-keys/${old.id}/roll`, {
      token: user.token,
      body: { gracePeriodSeconds: 300 },
    });
    const fresh = (await response.json()) as { key: string };
    expect((await useKey(old.key)).status).toBe(200);
    expect((await useKey(fresh.key)).status).toBe(200);

    const clock = new ManualClock(Date.now());
    await injectClock(env.USER_GUARD.get(env.USER_GUARD.idFromName(user.id)), clock);
    clock.advance(299_000);
    expect((await useKey(old.key)).status).toBe(200);
    clock.advance(2_000);
    await expectProblem(await useKey(old.key), 401, "unauthorized");
    expect((await useKey(fresh.key)).status).toBe(200);
  });

  it("keys in a roll's grace period count toward the 50-key cap: rolling cannot grow keys past it", async () => {
    const user = await registerUser();
    const keys: { id: string }[] = [];
    for (let index = 0; index < 30; index++) keys.push(await createKey(user.token, { name: `k${index}` }));
    const roll = (id: string, gracePeriodSeconds: number) =>
      api("POST", `/v1/api-keys/${id}/roll`, { token: user.token, body: { gracePeriodSeconds } });
    // 30 keys, 20 of them rolled with an hour of grace: 50 live keys.
    for (const key of keys.slice(0, 20)) expect((await roll(key.id, 3600)).status).toBe(201);
    await expectProblem(await roll(keys[20]?.id as string, 3600), 409, "conflict");
    await expectProblem(
      await api("POST", "/v1/api-keys", { token: user.token, body: { name: "one more", scopes: ["read"] } }),
      409,
      "conflict",
    );
    // A roll without grace ends the old key at once: the count stays at 50, so it may go ahead.
    expect((await roll(keys[20]?.id as string, 0)).status).toBe(201);
  });

  it("refuses to roll a revoked key (409) or another user's (404)", async () => {
    const [user, other] = await Promise.all([registerUser(), registerUser()]);
    const key = await createKey(user.token);
    await expectProblem(
      await api("POST", `/v1/api-keys/${key.id}/roll`, { token: other.token, body: {} }),
      404,
      "not_found",
    );
    await expectProblem(await api("DELETE", `/v1/api-keys/${key.id}`, { token: other.token }), 404, "not_found");
    await api("DELETE", `/v1/api-keys/${key.id}`, { token: user.token });
    await expectProblem(
      await api("POST", `/v1/api-keys/${key.id}/roll`, { token: user.token, body: {} }),
      409,
      "conflict",
    );
  });
});

describe("audit", () => {
  it("records created, revoked, rolled and rejected (revoked, expired, ip, scope), never the key", async () => {
    const user = await registerUser();
    const scoped = await createKey(user.token, { scopes: ["read"], allowedIps: ["203.0.113.1"] });
    await api("POST", "/v1/images/generations", { token: scoped.key, ip: "203.0.113.1", body: { prompt: "x" } });
    await useKey(scoped.key, "/v1/images", "203.0.113.2");
    const expiring = await createKey(user.token);
    await env.DB.prepare("UPDATE api_keys SET expires_at = ? WHERE id = ?")
      .bind(Date.now() - 1, expiring.id)
      .run();
    await useKey(expiring.key);
    const rolled = await createKey(user.token);
    await api("POST", `/v1/api-keys/${rolled.id}/roll`, { token: user.token, body: {} });
    await api("DELETE", `/v1/api-keys/${scoped.id}`, { token: user.token });
    await useKey(scoped.key, "/v1/images", "203.0.113.1");

    const { results } = await env.DB.prepare(
      "SELECT type, metadata FROM audit_log WHERE user_id = ? AND type LIKE 'api_key.%'",
    )
      .bind(user.id)
      .all<{ type: string; metadata: string }>();
    const types = results.map((row) => row.type);
    expect(types.filter((type) => type === "api_key.created")).toHaveLength(3);
    expect(types).toContain("api_key.revoked");
    expect(types).toContain("api_key.rolled");
    const reasons = results
      .filter((row) => row.type === "api_key.rejected")
      .map((row) => JSON.parse(row.metadata).reason);
    expect(reasons.sort()).toEqual(["expired", "ip", "revoked", "scope"]);
    const dump = JSON.stringify(results);
    for (const key of [scoped, expiring, rolled]) expect(dump).not.toContain(key.key);
  });
});
