// OWASP API4:2023 unrestricted resource consumption; ASVS 5.0 V2.4 (anti-automation). Per-user and
// per-IP limits exact under concurrency, refusals use no budget, spoofed forwarding headers ignored.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, env, expectProblem, randomIp, registerUser } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { injectClock, ManualClock } from "../helpers/clock";
import { asOperator } from "../helpers/operator";

async function burst(count: number, send: (_: unknown, index: number) => Promise<Response>) {
  const responses = await Promise.all(Array.from({ length: count }, send));
  const statuses = responses.map((response) => response.status);
  return {
    responses,
    admitted: statuses.filter((status) => status === 200).length,
    refused: statuses.filter((status) => status === 429).length,
  };
}

async function setPlan(userId: string, body: Record<string, unknown>) {
  expect((await asOperator("PATCH", `/v1/admin/users/${userId}`, { body })).status).toBe(200);
}

describe("per-user limit, exact under concurrency", () => {
  it("standard: 150 concurrent requests, exactly 100 admitted", async () => {
    const user = await registerUser();
    const { admitted, refused } = await burst(150, () => api("GET", "/v1/me", { token: user.token }));
    expect([admitted, refused]).toEqual([100, 50]);
  });

  // Larger bursts go straight to the user's guard: 520 HTTP requests would cost the pool far more
  // than the guard's calls, and the guard's `admit` is the whole decision either way.
  it("pro: 520 concurrent admissions, exactly 500 admitted", async () => {
    const user = await registerUser();
    await setPlan(user.id, { plan: "pro" });
    const guard = env.USER_GUARD.get(env.USER_GUARD.idFromName(user.id));
    const credential = { kind: "api_key" as const, keyId: "key_burst", createdAt: Date.now() };
    const outcomes = await Promise.all(Array.from({ length: 520 }, () => guard.admit({ credential })));
    expect(outcomes.filter((outcome) => outcome.outcome === "admitted")).toHaveLength(500);
    expect(outcomes.filter((outcome) => outcome.outcome === "rate_limited")).toHaveLength(20);
  });

  it("enterprise with a custom limit of 7: exactly 7 of 30 concurrent requests admitted", async () => {
    const user = await registerUser();
    await setPlan(user.id, { plan: "enterprise", rateLimitPerMinute: 7 });
    const { admitted, refused } = await burst(30, () => api("GET", "/v1/me", { token: user.token }));
    expect([admitted, refused]).toEqual([7, 23]);
  });

  it("JWT and API-key requests share one budget", async () => {
    const user = await registerUser();
    // Creating the key is itself one request of the user's: 11 - 1 leaves 10 for the burst.
    const { key } = await createKey(user.token, { scopes: ["read"] });
    await setPlan(user.id, { plan: "enterprise", rateLimitPerMinute: 11 });
    const { responses, admitted } = await burst(20, (_, index) =>
      index % 2 ? api("GET", "/v1/images", { token: key }) : api("GET", "/v1/me", { token: user.token }),
    );
    expect(responses.map((response) => response.status).filter((status) => status !== 200 && status !== 429)).toEqual(
      [],
    );
    expect(admitted).toBe(10);
  });

  it("answers with RateLimit headers, and a 429 with Retry-After that uses no budget", async () => {
    const user = await registerUser();
    await setPlan(user.id, { plan: "enterprise", rateLimitPerMinute: 3 });
    const seen = [];
    for (let index = 0; index < 3; index++) {
      const response = await api("GET", "/v1/me", { token: user.token });
      expect(response.status).toBe(200);
      seen.push(response.headers.get("RateLimit-Remaining"));
      expect(response.headers.get("RateLimit-Limit")).toBe("3");
      expect(Number(response.headers.get("RateLimit-Reset"))).toBeGreaterThan(0);
      expect(Number(response.headers.get("RateLimit-Reset"))).toBeLessThanOrEqual(60);
    }
    expect(seen).toEqual(["2", "1", "0"]);
    const refused = await api("GET", "/v1/me", { token: user.token });
    await expectProblem(refused, 429, "rate_limited");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
    expect(refused.headers.get("RateLimit-Remaining")).toBe("0");
  });

  it("the window rolls: a slot frees exactly 60 s after the request that filled it", async () => {
    const user = await registerUser();
    await setPlan(user.id, { plan: "enterprise", rateLimitPerMinute: 2 });
    const clock = new ManualClock(Date.now());
    await injectClock(env.USER_GUARD.get(env.USER_GUARD.idFromName(user.id)), clock);
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    clock.advance(30_000);
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    clock.advance(29_999);
    await expectProblem(await api("GET", "/v1/me", { token: user.token }), 429, "rate_limited");
    clock.advance(1);
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    await expectProblem(await api("GET", "/v1/me", { token: user.token }), 429, "rate_limited");
  });

  it("a plan change applies from the next request", async () => {
    const user = await registerUser();
    await setPlan(user.id, { plan: "enterprise", rateLimitPerMinute: 1 });
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    await expectProblem(await api("GET", "/v1/me", { token: user.token }), 429, "rate_limited");
    await setPlan(user.id, { plan: "pro" });
    const response = await api("GET", "/v1/me", { token: user.token });
    expect(response.status).toBe(200);
    expect(response.headers.get("RateLimit-Limit")).toBe("500");
  });
});

describe("per-IP limit for requests without a valid credential", () => {
  it("1050 concurrent from one IP: exactly 1000 answered, 50 refused", async () => {
    const guard = env.IP_GUARD.get(env.IP_GUARD.idFromName(randomIp()));
    const outcomes = await Promise.all(Array.from({ length: 1050 }, () => guard.admitUnauthenticated()));
    expect(outcomes.filter((outcome) => outcome.admitted)).toHaveLength(1000);
    expect(outcomes.filter((outcome) => !outcome.admitted && "retryAfterSeconds" in outcome)).toHaveLength(50);
  });

  it("counts 401s, 404s and public routes in one bucket that X-Forwarded-For and X-Real-IP do not change", async () => {
    const ip = randomIp();
    const requests = [
      () => api("GET", "/v1/me", { ip }),
      () => api("GET", "/v1/no-such-route", { ip }),
      () => api("POST", "/v1/auth/login", { ip, body: {} }),
      () => api("GET", "/v1/me", { ip, token: "forged.token.here" }),
    ];
    for (let index = 0; index < 20; index++) {
      const send = requests[index % requests.length] as () => Promise<Response>;
      await send();
    }
    const last = await api("GET", "/v1/no-such-route", {
      ip,
      headers: { "X-Forwarded-For": randomIp(), "X-Real-IP": randomIp() },
    });
    expect(last.headers.get("RateLimit-Limit")).toBe("1000");
    expect(last.headers.get("RateLimit-Remaining")).toBe("979");
  });

  it("refuses over budget with 429, Retry-After and RateLimit headers, over HTTP", async () => {
    const ip = randomIp();
    const guard = env.IP_GUARD.get(env.IP_GUARD.idFromName(ip));
    await Promise.all(Array.from({ length: 1000 }, () => guard.admitUnauthenticated()));
    const refused = await api("POST", "/v1/auth/login", { ip, body: { email: "a@example.com", password: "whatever" } });
    await expectProblem(refused, 429, "rate_limited");
    expect(refused.headers.get("RateLimit-Limit")).toBe("1000");
    expect(refused.headers.get("RateLimit-Remaining")).toBe("0");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(3000);
    expect((await api("POST", "/v1/auth/login", { ip: randomIp(), body: {} })).status).toBe(400);
  });

  it("does not count /health", async () => {
    const ip = randomIp();
    await Promise.all(Array.from({ length: 20 }, () => api("GET", "/health", { ip })));
    const response = await api("GET", "/v1/no-such-route", { ip });
    expect(response.headers.get("RateLimit-Remaining")).toBe("999");
  });
});

describe("when a guard fails", () => {
  it("an unreachable IP guard refuses the request with 503", async () => {
    const ip = randomIp();
    // A guard has tables once it has stored something: one counted request.
    await api("GET", "/v1/no-such-route", { ip });
    await runInDurableObject(env.IP_GUARD.get(env.IP_GUARD.idFromName(ip)), (_instance, state) => {
      state.storage.sql.exec("DROP TABLE unauthenticated_window");
    });
    await expectProblem(
      await api("POST", "/v1/auth/login", { ip, body: { email: "a@b.co", password: "x" } }),
      503,
      "unavailable",
    );
  });
});

describe("RateLimit headers on admitted requests that fail later", () => {
  it("are on a 404 and a 400 answered after admission", async () => {
    const user = await registerUser();
    for (const [method, path, body] of [
      ["GET", "/v1/images/img_missing", undefined],
      ["PATCH", "/v1/me", { plan: "pro" }],
    ] as const) {
      const response = await api(method, path, { token: user.token, body });
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(response.headers.get("RateLimit-Limit")).toBe("100");
      expect(response.headers.get("RateLimit-Remaining")).toEqual(expect.any(String));
    }
  });
});
