// The shield: Workers Rate Limiting in front of the guards sheds a flood before any Durable
// Object is asked (a DO serves ~1,000 requests/s). The binding's count for one address is used
// up straight through the binding first, so the test needs no flood of HTTP requests.
import { describe, expect, it } from "vitest";
import { SHIELD_LIMITS } from "../../src/auth/shield";
import { UNAUTHENTICATED_WINDOW } from "../../src/durable-objects/ip-guard";
import { api, env, expectProblem, randomIp } from "../helpers/api";

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
