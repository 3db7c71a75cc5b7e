// OWASP API2:2023 broken authentication, API4:2023 (anti-automation); ASVS 5.0 V6.3.1 (brute
// force and credential stuffing), V6.3.5 (lockout notice), V2.4 (anti-automation).
import { describe, expect, it } from "vitest";
import { networkGuardKey } from "../../src/domain/client-address";
import { api, env, expectProblem, randomIp, registerUser, uniqueEmail } from "../helpers/api";
import { injectClock, ManualClock } from "../helpers/clock";
import { readOutbox, tokenFromMail, waitForMail } from "../helpers/outbox";

function loginFrom(ip: string, email: string, password: string) {
  return api("POST", "/v1/auth/login", { body: { email, password }, ip });
}

async function auditReasons(userId: string) {
  const { results } = await env.DB.prepare(
    "SELECT metadata FROM audit_log WHERE user_id = ? AND type = 'auth.login_failed' ORDER BY created_at",
  )
    .bind(userId)
    .all<{ metadata: string }>();
  // Repeats in one minute are one row with a count: each is listed as many times as it happened.
  return results.flatMap((row) => {
    const { reason, count } = JSON.parse(row.metadata) as { reason: string; count: number };
    return Array<string>(count).fill(reason);
  });
}

describe("per-IP login guard", () => {
  it("checks at most 5 of 40 simultaneous wrong logins from one IP; the rest get 429 with Retry-After", async () => {
    const user = await registerUser();
    const ip = randomIp();
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, index) => loginFrom(ip, user.email, `wrong password ${index}`)),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401).length).toBeGreaterThanOrEqual(1);
    expect(statuses.filter((status) => status === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((status) => status === 429).length + statuses.filter((s) => s === 401).length).toBe(40);
    const refused = responses.find((response) => response.status === 429) as Response;
    await expectProblem(refused, 429, "too_many_attempts");
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThan(0);
  });

  it("refuses the right password too while backing off, indistinguishably from a wrong one", async () => {
    const user = await registerUser();
    const ip = randomIp();
    expect((await loginFrom(ip, user.email, "wrong password")).status).toBe(401);
    const right = await loginFrom(ip, user.email, user.password);
    const wrong = await loginFrom(ip, user.email, "another wrong one");
    const rightProblem = await expectProblem(right, 429, "too_many_attempts");
    const wrongProblem = await expectProblem(wrong, 429, "too_many_attempts");
    expect({ ...rightProblem, requestId: "" }).toEqual({ ...wrongProblem, requestId: "" });
    expect(right.headers.get("Retry-After")).toBe(wrong.headers.get("Retry-After"));
    expect(await auditReasons(user.id)).toEqual(["bad_password", "backoff", "backoff"]);
  });

  it("counts an IPv6 client by its /64: rotating addresses inside it does not escape the throttle", async () => {
    const user = await registerUser();
    const prefix = `2001:db8:${crypto.getRandomValues(new Uint16Array(1))[0]?.toString(16)}:1`;
    const addresses = Array.from({ length: 8 }, (_, index) => `${prefix}:${index + 1}::${index + 10}`);
    const statuses: number[] = [];
    for (const ip of addresses) statuses.push((await loginFrom(ip, user.email, `wrong guess ${ip}`)).status);
    // The first wrong guess starts the backoff for the whole /64, as for one IPv4 address.
    expect(statuses[0]).toBe(401);
    expect(statuses.slice(1)).toEqual(Array(7).fill(429));
    // Another /64 is another client.
    expect((await loginFrom(`${prefix.slice(0, -1)}2::1`, user.email, user.password)).status).toBe(200);
  });

  it("40 refused logins for unknown emails from one address write one audit row per reason, counting all 40", async () => {
    // The rows are per minute: a burst that would straddle one minute's end waits for the next.
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
    const ip = randomIp();
    await Promise.all(Array.from({ length: 40 }, (_, index) => loginFrom(ip, uniqueEmail(`nobody${index}`), "guess")));
    const { results } = await env.DB.prepare(
      "SELECT user_id, json_extract(metadata, '$.reason') AS reason, json_extract(metadata, '$.count') AS count FROM audit_log WHERE ip = ? AND type = 'auth.login_failed' ORDER BY reason",
    )
      .bind(ip)
      .all<{ user_id: string | null; reason: string; count: number }>();
    expect(results.map((row) => row.reason)).toEqual(["backoff", "unknown_email"]);
    expect(results.every((row) => row.user_id === null)).toBe(true);
    expect(results.reduce((total, row) => total + row.count, 0)).toBe(40);
  });

  it("never reads X-Forwarded-For or X-Real-IP: spoofing them does not escape the throttle", async () => {
    const user = await registerUser();
    const ip = randomIp();
    expect((await loginFrom(ip, user.email, "wrong password")).status).toBe(401);
    const spoofed = await api("POST", "/v1/auth/login", {
      body: { email: user.email, password: "wrong again" },
      ip,
      headers: { "X-Forwarded-For": randomIp(), "X-Real-IP": randomIp() },
    });
    await expectProblem(spoofed, 429, "too_many_attempts");
  });
});

/** Points the guards of these keys (addresses, or networks) at one hand-moved clock. */
async function clockGuards(keys: string[], clock: ManualClock) {
  for (const key of keys) await injectClock(env.IP_GUARD.get(env.IP_GUARD.idFromName(key)), clock);
}

const randomByte = () => crypto.getRandomValues(new Uint8Array(1))[0] as number;

describe("per-network login guard (/48 and /24, 10× the per-address numbers)", () => {
  it("51 failed logins from 51 different /64s of one /48: the 51st is refused, as is the right password, for the whole /48", async () => {
    const user = await registerUser();
    const net = `2001:db8:${(randomByte() * 256 + randomByte()).toString(16)}`;
    const addressIn = (subnet: number) => `${net}:${subnet.toString(16)}::1`;
    const clock = new ManualClock();
    await clockGuards([networkGuardKey(addressIn(0))], clock);
    const statuses: number[] = [];
    for (let subnet = 1; subnet <= 51; subnet++) {
      // Past the network's backoff (at most 32 s here), well inside its hour: only the count decides.
      clock.advance(40_000);
      statuses.push((await loginFrom(addressIn(subnet), uniqueEmail("rotating"), `guess ${subnet}`)).status);
    }
    expect(statuses).toEqual([...Array(50).fill(401), 429]);
    clock.advance(40_000);
    const right = await loginFrom(addressIn(999), user.email, user.password);
    await expectProblem(right, 429, "too_many_attempts");
    expect(Number(right.headers.get("Retry-After"))).toBeGreaterThan(0);
    // Another /48 is another network.
    expect((await loginFrom(`2001:db9:${net.slice(9)}::1`, user.email, user.password)).status).toBe(200);
  });

  it("10 addresses of one /24 fail freely (5 each) until the network's total passes 50", async () => {
    const prefix = `10.${randomByte()}.${randomByte()}`;
    const addresses = Array.from({ length: 11 }, (_, index) => `${prefix}.${index + 1}`);
    const clock = new ManualClock();
    await clockGuards([...addresses, networkGuardKey(addresses[0] as string)], clock);
    const statuses: number[] = [];
    for (let round = 0; round < 5; round++) {
      for (const ip of addresses.slice(0, 10)) {
        // Past each backoff (an address's 2^4 s, the network's 2^4 s), well inside the hour.
        clock.advance(20_000);
        statuses.push((await loginFrom(ip, uniqueEmail("office"), `guess ${round}`)).status);
      }
    }
    expect(statuses).toEqual(Array(50).fill(401));
    clock.advance(40_000);
    // The eleventh address has no failure of its own: its network has had 50 this hour.
    await expectProblem(
      await loginFrom(addresses[10] as string, uniqueEmail("office"), "guess"),
      429,
      "too_many_attempts",
    );
    // Another /24 is another network.
    expect(
      (await loginFrom(`10.${prefix.split(".")[1]}.${(randomByte() + 1) % 256}.7`, uniqueEmail(), "x")).status,
    ).toBe(401);
  });
});

describe("per-account lockout", () => {
  it("checks at most 10 of 30 simultaneous wrong logins from 30 IPs, then answers 423", async () => {
    const user = await registerUser();
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, index) => loginFrom(randomIp(), user.email, `wrong password ${index}`)),
    );
    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 401).length).toBe(10);
    expect(statuses.filter((status) => status === 423).length).toBe(20);
    const locked = responses.find((response) => response.status === 423) as Response;
    await expectProblem(locked, 423, "account_locked");
    expect(Number(locked.headers.get("Retry-After"))).toBeGreaterThan(3500);
  });

  it("refuses the right password while locked, mails the owner a reset link, and the reset unlocks", async () => {
    const user = await registerUser();
    for (let index = 0; index < 10; index++) {
      expect((await loginFrom(randomIp(), user.email, `wrong password ${index}`)).status).toBe(401);
    }
    const right = await loginFrom(randomIp(), user.email, user.password);
    await expectProblem(right, 423, "account_locked");

    const mail = await waitForMail(user.email, /locked/i);
    expect(mail.text).toContain("http://127.0.0.1:8787/console/reset-password?token=");
    const reset = await api("POST", "/v1/auth/password/reset", {
      body: { token: tokenFromMail(mail), password: "a brand new passphrase" },
    });
    expect(reset.status).toBe(204);
    expect((await loginFrom(randomIp(), user.email, "a brand new passphrase")).status).toBe(200);

    const { results } = await env.DB.prepare("SELECT type FROM audit_log WHERE user_id = ? ORDER BY created_at")
      .bind(user.id)
      .all<{ type: string }>();
    const types = results.map((row) => row.type);
    expect(types).toContain("auth.locked");
    expect(types).toContain("auth.unlocked");
    expect(types.filter((type) => type === "auth.locked")).toHaveLength(1);
    expect(await auditReasons(user.id)).toEqual([...Array(10).fill("bad_password"), "locked"]);
  });

  it("locks an unknown email exactly like a known one, and mails nobody", async () => {
    const email = uniqueEmail("ghost");
    const statuses: number[] = [];
    for (let index = 0; index < 11; index++) {
      statuses.push((await loginFrom(randomIp(), email, `guess ${index}`)).status);
    }
    expect(statuses).toEqual([...Array(10).fill(401), 423]);
    expect(await readOutbox(email)).toEqual([]);
  });

  it("a successful login resets the count", async () => {
    const user = await registerUser();
    for (let index = 0; index < 9; index++) await loginFrom(randomIp(), user.email, `wrong ${index}`);
    expect((await loginFrom(randomIp(), user.email, user.password)).status).toBe(200);
    for (let index = 0; index < 9; index++) {
      expect((await loginFrom(randomIp(), user.email, `wrong again ${index}`)).status).toBe(401);
    }
    expect((await loginFrom(randomIp(), user.email, user.password)).status).toBe(200);
  });
});
