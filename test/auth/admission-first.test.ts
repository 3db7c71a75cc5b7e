// API.md "Limits and headers": admission comes first. Until a request is admitted (address not
// blocked, budget left) nothing is read or written for it; every rejected credential counts
// against the client IP; a key's rejections are audited at most once per key and reason a minute.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { type IpGuard, UNAUTHENTICATED_WINDOW } from "../../src/durable-objects/ip-guard";
import { api, env, expectProblem, randomIp, registerUser } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { asOperator } from "../helpers/operator";

const ipGuard = (ip: string) => env.IP_GUARD.get(env.IP_GUARD.idFromName(ip));

/** Spends all but `left` units of an address's hourly budget, inside its guard (no RPC per unit). */
async function drainBudget(ip: string, left = 0) {
  // The guards are typed with the Worker's bindings, the pool with the test env: bridge by hand.
  await runInDurableObject(ipGuard(ip) as unknown as DurableObjectStub, async (instance) => {
    const guard = instance as unknown as IpGuard;
    for (let index = 0; index < UNAUTHENTICATED_WINDOW.limit - left; index++) await guard.admitUnauthenticated();
  });
}

/** How many units of its budget an address has left (asking spends one, which this counts back). */
async function budgetLeft(ip: string): Promise<number> {
  const admission = await ipGuard(ip).admitUnauthenticated();
  if (!admission.admitted) return 0;
  await ipGuard(ip).refundUnauthenticated();
  return admission.remaining + 1;
}

async function rejectionRows(token: string) {
  const response = await api("GET", "/v1/audit-log?type=api_key.rejected&limit=100", { token });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: { metadata: { keyId: string; reason: string } }[] }).data;
}

describe("a key used from outside its allowlist", () => {
  it("is a failed credential: each use is charged to the address, audited once a minute, then 429", async () => {
    const owner = await registerUser();
    const { key, id } = await createKey(owner.token, { scopes: ["read"], allowedIps: ["192.0.2.1"] });
    const ip = randomIp();
    await drainBudget(ip, 30);
    const statuses: number[] = [];
    for (let index = 0; index < 32; index++) {
      statuses.push((await api("GET", "/v1/images", { token: key, ip })).status);
    }
    expect(statuses).toEqual([...Array(30).fill(403), 429, 429]);
    const rows = await rejectionRows(owner.token);
    expect(rows.map((row) => row.metadata)).toEqual([{ keyId: id, reason: "ip" }]);
  });

  it("from a blocked address is refused before anything is read or audited", async () => {
    const owner = await registerUser();
    const { key } = await createKey(owner.token, { scopes: ["read"], allowedIps: ["192.0.2.1"] });
    const ip = randomIp();
    expect((await asOperator("POST", "/v1/admin/ip-blocks", { body: { ip, reason: "stuffing" } })).status).toBe(201);
    await expectProblem(await api("GET", "/v1/images", { token: key, ip }), 403, "ip_blocked");
    expect(await rejectionRows(owner.token)).toEqual([]);
  });
});

describe("a revoked or expired key", () => {
  it("from an address with no budget left: 429, and no audit row", async () => {
    const owner = await registerUser();
    const { key, id } = await createKey(owner.token, { scopes: ["read"] });
    expect((await api("DELETE", `/v1/api-keys/${id}`, { token: owner.token })).status).toBe(204);
    const ip = randomIp();
    await drainBudget(ip);
    await expectProblem(await api("GET", "/v1/images", { token: key, ip }), 429, "rate_limited");
    expect(await rejectionRows(owner.token)).toEqual([]);
  });

  it("is audited once per minute however often, and every use is charged", async () => {
    const owner = await registerUser();
    const { key, id } = await createKey(owner.token, { scopes: ["read"] });
    expect((await api("GET", "/v1/images", { token: key })).status).toBe(200);
    expect((await api("DELETE", `/v1/api-keys/${id}`, { token: owner.token })).status).toBe(204);
    const ip = randomIp();
    const responses = await Promise.all(Array.from({ length: 12 }, () => api("GET", "/v1/images", { token: key, ip })));
    expect(responses.map((response) => response.status)).toEqual(Array(12).fill(401));
    expect(await budgetLeft(ip)).toBe(UNAUTHENTICATED_WINDOW.limit - 12);
    expect((await rejectionRows(owner.token)).map((row) => row.metadata)).toEqual([{ keyId: id, reason: "revoked" }]);
  });
});

describe("an unknown key", () => {
  it("is looked up only once its address admitted the attempt", async () => {
    const ip = randomIp();
    await drainBudget(ip);
    const unknown = `imgbot_live_${"ab".repeat(32)}`;
    await expectProblem(await api("GET", "/v1/images", { token: unknown, ip }), 429, "rate_limited");
  });

  it("costs its address one unit per attempt", async () => {
    const ip = randomIp();
    const unknown = `imgbot_live_${"cd".repeat(32)}`;
    for (let index = 0; index < 3; index++) {
      await expectProblem(await api("GET", "/v1/images", { token: unknown, ip }), 401, "unauthorized");
    }
    expect(await budgetLeft(ip)).toBe(UNAUTHENTICATED_WINDOW.limit - 3);
  });
});

describe("a valid key this isolate has not seen", () => {
  it("hands back the unit its lookup cost, so legitimate use never drains the address", async () => {
    const owner = await registerUser();
    const ip = randomIp();
    for (let index = 0; index < 3; index++) {
      // A new key is never in the isolate's cache: each first use is a lookup.
      const { key } = await createKey(owner.token, { scopes: ["read"] });
      expect((await api("GET", "/v1/images", { token: key, ip })).status).toBe(200);
    }
    expect(await budgetLeft(ip)).toBe(UNAUTHENTICATED_WINDOW.limit);
  });

  it("from an address that is out of budget is refused, even though the key is valid", async () => {
    const owner = await registerUser();
    const { key } = await createKey(owner.token, { scopes: ["read"] });
    const ip = randomIp();
    await drainBudget(ip);
    await expectProblem(await api("GET", "/v1/images", { token: key, ip }), 429, "rate_limited");
    // Once known to this isolate, the key is admitted by its owner's guard alone.
    expect((await api("GET", "/v1/images", { token: key })).status).toBe(200);
    expect((await api("GET", "/v1/images", { token: key, ip })).status).toBe(200);
  });
});

describe("malformed session tokens", () => {
  it("a valid header and signature around a payload that is not JSON: 401, charged to the address", async () => {
    const { token } = await registerUser();
    const [header, , signature] = token.split(".");
    const ip = randomIp();
    for (const payload of ["A", "AA", "e30", "bnVsbA", "WzFd", "_-_-"]) {
      const response = await api("GET", "/v1/me", { token: `${header}.${payload}.${signature}`, ip });
      await expectProblem(response, 401, "unauthorized");
    }
    expect(await budgetLeft(ip)).toBe(UNAUTHENTICATED_WINDOW.limit - 6);
  });

  it("a malformed token from an address out of budget: 429, never 500", async () => {
    const { token } = await registerUser();
    const [header, , signature] = token.split(".");
    const ip = randomIp();
    await drainBudget(ip);
    await expectProblem(await api("GET", "/v1/me", { token: `${header}.A.${signature}`, ip }), 429, "rate_limited");
  });
});
