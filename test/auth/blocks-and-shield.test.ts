// What admission refuses before a guard counts anything. API.md "Operator": a block may be a CIDR
// range; it reaches every location within 5 s, at once where it was made. Authenticated requests
// see blocks through their isolate's copy of the list (no extra Durable Object call); requests
// without a valid credential through it and their guard. The shield (Workers Rate Limiting) sheds
// a flood before any Durable Object is asked: its count for one address is used up straight
// through the binding, so the test needs no flood of HTTP requests.
import { describe, expect, it } from "vitest";
import { BLOCKS_MAX_AGE_MS } from "../../src/auth/ip-blocks";
import { SHIELD_LIMITS } from "../../src/auth/shield";
import { UNAUTHENTICATED_WINDOW } from "../../src/durable-objects/ip-guard";
import { api, env, expectProblem, randomIp, registerUser } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { asOperator } from "../helpers/operator";

const blockList = () => env.IP_BLOCK_LIST.get(env.IP_BLOCK_LIST.idFromName("global"));

async function block(ip: string) {
  const response = await asOperator("POST", "/v1/admin/ip-blocks", { body: { ip, reason: "incident 42" } });
  expect(response.status).toBe(201);
  return (await response.json()) as { ip: string };
}

describe("CIDR blocks", () => {
  it("refuse every address of the range, with a session, a key or nothing, and no other", async () => {
    const user = await registerUser();
    const { key } = await createKey(user.token, { scopes: ["read"] });
    expect((await block("198.18.7.99/24")).ip).toBe("198.18.7.0/24");
    for (const ip of ["198.18.7.1", "198.18.7.254", "::ffff:198.18.7.5"]) {
      await expectProblem(await api("GET", "/v1/me", { token: user.token, ip }), 403, "ip_blocked");
      await expectProblem(await api("GET", "/v1/images", { token: key, ip }), 403, "ip_blocked");
      await expectProblem(await api("GET", "/openapi.json", { ip }), 403, "ip_blocked");
    }
    expect((await api("GET", "/v1/me", { token: user.token, ip: "198.18.8.1" })).status).toBe(200);
    const lifted = await asOperator("DELETE", `/v1/admin/ip-blocks/${encodeURIComponent("198.18.7.0/24")}`);
    expect(lifted.status).toBe(204);
    expect((await api("GET", "/v1/me", { token: user.token, ip: "198.18.7.1" })).status).toBe(200);
  });

  it("an IPv6 range blocks its addresses; an IPv6 address blocks its /64", async () => {
    const user = await registerUser();
    await block("2001:db8:aa::/48");
    await block("2001:db8:bb:cc::1");
    await expectProblem(await api("GET", "/v1/me", { token: user.token, ip: "2001:db8:aa:ff::9" }), 403, "ip_blocked");
    await expectProblem(await api("GET", "/v1/me", { token: user.token, ip: "2001:db8:bb:cc::77" }), 403, "ip_blocked");
    expect((await api("GET", "/v1/me", { token: user.token, ip: "2001:db8:bb:cd::1" })).status).toBe(200);
  });

  it("refuses an expiry more than a year ahead, and stores nothing", async () => {
    const user = await registerUser();
    const response = await asOperator("POST", "/v1/admin/ip-blocks", {
      body: { ip: "198.18.9.0/24", reason: "x", expiresAt: "2262-04-11T23:47:16.855Z" },
    });
    await expectProblem(response, 400, "validation_failed");
    expect((await api("GET", "/v1/me", { token: user.token, ip: "198.18.9.1" })).status).toBe(200);
  });

  it("refuses what is no range: hostnames, short IPv4 forms, prefixes out of bounds, mapped ranges", async () => {
    for (const ip of [
      "example.com",
      "10.1/8",
      "10.0.0.0/33",
      "2001:db8::/129",
      "::ffff:10.0.0.0/104",
      "10.0.0.0/8/8",
    ]) {
      await expectProblem(
        await asOperator("POST", "/v1/admin/ip-blocks", { body: { ip, reason: "x" } }),
        400,
        "validation_failed",
      );
    }
  });
});

describe("how fast a block spreads", () => {
  it("a block made elsewhere is applied here within 5 s, without a guard call per request", async () => {
    const user = await registerUser();
    const ip = "198.19.1.1";
    // Warm this isolate's copy, then block through the list directly, as another isolate would.
    expect((await api("GET", "/v1/me", { token: user.token, ip })).status).toBe(200);
    const before = Date.now();
    const { outcome } = await blockList().block("198.19.1.1/32", null);
    expect(outcome).toBe("blocked");
    let status = 200;
    while (status === 200) {
      status = (await api("GET", "/v1/me", { token: user.token, ip })).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(status).toBe(403);
    expect(Date.now() - before).toBeLessThanOrEqual(BLOCKS_MAX_AGE_MS + 500);
  });

  it("an expired block no longer refuses", async () => {
    const user = await registerUser();
    const until = Date.now() + 1_500;
    await blockList().block("198.19.2.0/24", until);
    const response = await asOperator("POST", "/v1/admin/ip-blocks", {
      body: { ip: "198.19.2.0/24", reason: "short", expiresAt: new Date(until).toISOString() },
    });
    expect(response.status).toBe(201);
    await expectProblem(await api("GET", "/v1/me", { token: user.token, ip: "198.19.2.3" }), 403, "ip_blocked");
    await new Promise((resolve) => setTimeout(resolve, until - Date.now() + 50));
    expect((await api("GET", "/v1/me", { token: user.token, ip: "198.19.2.3" })).status).toBe(200);
  });
});

/** Uses up a key's count in the binding's current window (windows follow the wall clock). */
async function exhaust(binding: RateLimit, key: string) {
  for (;;) {
    const outcomes = await Promise.all(Array.from({ length: 100 }, () => binding.limit({ key })));
    if (outcomes.some((outcome) => !outcome.success)) return;
  }
}

describe("the shield", () => {
  it("sheds an address's flood without a valid credential before its guard counts it", async () => {
    const ip = randomIp();
    await exhaust(env.ANONYMOUS_SHIELD, ip);
    const response = await api("GET", "/openapi.json", { ip });
    await expectProblem(response, 429, "rate_limited");
    expect(response.headers.get("Retry-After")).toBe(String(SHIELD_LIMITS.anonymous.periodSeconds));
    const guard = env.IP_GUARD.get(env.IP_GUARD.idFromName(ip));
    expect(await guard.admitUnauthenticated()).toMatchObject({
      admitted: true,
      remaining: UNAUTHENTICATED_WINDOW.limit - 1,
    });
  });
});
