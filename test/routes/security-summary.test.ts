// Issue 18 item 1: security signals, counted in the guards, rolled up by the SecurityMonitor,
// read by the operator's GET /v1/admin/security/summary.
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { ipGuardKey, networkGuardKey } from "../../src/domain/client-address";
import { MINUTE_MS, minuteOf } from "../../src/domain/security-signals";
import { MAX_SUBJECTS_PER_MINUTE, type SecurityMonitor } from "../../src/durable-objects/security-monitor";
import { api, env, expectProblem, type RegisteredUser, registerUser } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { injectClock, ManualClock } from "../helpers/clock";
import { runAlarm } from "../helpers/guard-storage";
import { asOperator } from "../helpers/operator";
import { codeAt, turnOnTwoFactor } from "../helpers/totp";

const NETWORK = "203.0.113.0/24";
const attacker = (host: number) => `203.0.113.${host}`;
const LEGIT_IP = "198.51.100.7";

interface Summary {
  window: string;
  from: string;
  to: string;
  counts: Record<
    | "signIns"
    | "failedLogins"
    | "lockouts"
    | "twoFactorFailures"
    | "unauthorized"
    | "rateLimited"
    | "blocked"
    | "keyRejections",
    number
  >;
  mailDeliveryFailures: number;
  topAddresses: { ip: string; failedLogins: number }[];
  topNetworks: { network: string; failedLogins: number }[];
  topAsns: { asn: number; failedLogins: number }[];
  topAccounts: { account: string; failedLogins: number }[];
}

const monitor = () =>
  env.SECURITY_MONITOR.get(env.SECURITY_MONITOR.idFromName("global")) as unknown as DurableObjectStub<SecurityMonitor>;

async function summary(window = "15m"): Promise<Summary> {
  const response = await asOperator("GET", `/v1/admin/security/summary?window=${window}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Summary;
}

const loginFrom = (ip: string, email: string, password: string) =>
  api("POST", "/v1/auth/login", { body: { email, password }, ip });

/** The attack below must fit in one minute (the observation is per minute): start well inside one. */
async function awayFromMinuteBoundary(marginMs: number) {
  const left = MINUTE_MS - (Date.now() % MINUTE_MS);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/** Every guard the attack touched hands its counts over now (as its alarm would within seconds). */
async function flushGuards(ips: string[], emails: string[]) {
  const stubs = [
    ...ips.map((ip) => env.IP_GUARD.get(env.IP_GUARD.idFromName(ipGuardKey(ip)))),
    env.IP_GUARD.get(env.IP_GUARD.idFromName(networkGuardKey(attacker(1)))),
    ...emails.map((email) => env.ACCOUNT_GUARD.get(env.ACCOUNT_GUARD.idFromName(email))),
  ];
  for (const stub of stubs) await runAlarm(stub);
}

describe("security signals and the operator's summary", () => {
  let victim: RegisteredUser;
  let others: RegisteredUser[];
  let twoFactorUser: RegisteredUser;
  let secret: string;
  let attackMinute: number;
  const attackIps = Array.from({ length: 13 }, (_, index) => attacker(index + 1));

  beforeAll(async () => {
    victim = await registerUser();
    others = [await registerUser(), await registerUser()];
    twoFactorUser = await registerUser();
    secret = await turnOnTwoFactor(twoFactorUser);
  }, 60_000);

  it("a credential-stuffing run is counted exactly, and the summary names its address, network and target", async () => {
    await awayFromMinuteBoundary(30_000);
    attackMinute = minuteOf(Date.now());
    // The network's throttle waits 2 s after 10 consecutive failures: its clock is moved by hand.
    const networkClock = new ManualClock();
    await injectClock(env.IP_GUARD.get(env.IP_GUARD.idFromName(networkGuardKey(attacker(1)))), networkClock);

    // A bad second factor: the password is right (no signal yet), the code is not.
    const first = await loginFrom(attacker(11), twoFactorUser.email, twoFactorUser.password);
    const { mfaToken } = (await first.json()) as { mfaToken: string };
    const wrongCode = codeAt(secret, Date.now() + 10 * 60_000);
    const mfa = await api("POST", "/v1/auth/login/mfa", { body: { mfaToken, code: wrongCode }, ip: attacker(11) });
    await expectProblem(mfa, 401, "invalid_credentials");

    // Nine addresses of the network each guess the victim's password once.
    for (let host = 1; host <= 9; host++) {
      expect((await loginFrom(attacker(host), victim.email, "Winter2026!")).status).toBe(401);
    }
    // Ten consecutive failures in the network: its throttle answers 429 (no password checked).
    await expectProblem(await loginFrom(attacker(10), victim.email, "Winter2026!"), 429, "too_many_attempts");
    networkClock.advance(2_100);
    // The tenth guess locks the account.
    expect((await loginFrom(attacker(10), victim.email, "Winter2026!")).status).toBe(401);
    networkClock.advance(2_100);
    const [other1, other2] = others as [RegisteredUser, RegisteredUser];
    expect((await loginFrom(attacker(12), other1.email, "Winter2026!")).status).toBe(401);
    networkClock.advance(2_100);
    expect((await loginFrom(attacker(13), other2.email, "Winter2026!")).status).toBe(401);

    // Forged tokens, and a revoked API key.
    for (const token of ["forged.token.value", "eyJhbGciOiJub25lIn0.e30."]) {
      expect((await api("GET", "/v1/me", { token, ip: attacker(11) })).status).toBe(401);
    }
    const key = await createKey(other1.token);
    expect((await api("DELETE", `/v1/api-keys/${key.id}`, { token: other1.token })).status).toBe(204);
    expect((await api("GET", "/v1/images", { token: key.key, ip: attacker(11) })).status).toBe(401);

    // One legitimate sign-in, from elsewhere.
    expect((await loginFrom(LEGIT_IP, other1.email, other1.password)).status).toBe(200);

    // The guards hand over their counts (their alarms; the key's rejection is told after the response).
    let report: Summary | undefined;
    await vi.waitFor(
      async () => {
        await flushGuards([...attackIps, LEGIT_IP], [victim.email, other1.email, other2.email, twoFactorUser.email]);
        report = await summary();
        expect(report.counts.keyRejections).toBe(1);
      },
      { timeout: 10_000, interval: 200 },
    );
    expect(report?.counts).toEqual({
      signIns: 1,
      failedLogins: 13,
      lockouts: 1,
      twoFactorFailures: 1,
      unauthorized: 3,
      rateLimited: 1,
      blocked: 0,
      keyRejections: 1,
    });
    expect(report?.topNetworks).toEqual([{ network: NETWORK, failedLogins: 13 }]);
    expect(report?.topAccounts[0]).toEqual({ account: victim.email, failedLogins: 10 });
    expect(report?.topAccounts).toHaveLength(4);
    expect(report?.topAddresses).toHaveLength(10);
    expect(report?.topAddresses).toContainEqual({ ip: attacker(1), failedLogins: 1 });
    expect(report?.topAddresses.every((row) => row.ip.startsWith("203.0.113."))).toBe(true);
    // No ASN locally (request.cf is absent): none is made up.
    expect(report?.topAsns).toEqual([]);
    expect(report?.mailDeliveryFailures).toBe(0);

    // The minute as the alert rules see it: distinct addresses per account, accounts per network.
    const observation = await monitor().observe(attackMinute);
    expect(observation.failedLogins).toBe(13);
    expect(observation.keyRejections).toBe(1);
    expect(observation.accounts).toContainEqual({ account: victim.email, failedLogins: 10, distinctAddresses: 10 });
    expect(observation.accounts).toContainEqual({ account: other2.email, failedLogins: 1, distinctAddresses: 1 });
    expect(observation.networks).toEqual([{ network: NETWORK, failedLogins: 13, distinctAccounts: 4 }]);
  });

  it("flushed counts are not counted twice by a later alarm", async () => {
    const before = await summary();
    await flushGuards(attackIps, [victim.email]);
    expect((await summary()).counts).toEqual(before.counts);
  });

  it("the 15m, 1h and 24h windows count the minutes inside them only", async () => {
    const base = (await summary("15m")).counts.signIns;
    const now = Date.now();
    await monitor().record([
      { minute: minuteOf(now - 30 * MINUTE_MS), signal: "sign_in", dimension: "service", subject: "service", count: 5 },
      {
        minute: minuteOf(now - 5 * 60 * MINUTE_MS),
        signal: "sign_in",
        dimension: "service",
        subject: "service",
        count: 7,
      },
      // Past the day the monitor keeps: dropped.
      {
        minute: minuteOf(now - 25 * 60 * MINUTE_MS),
        signal: "sign_in",
        dimension: "service",
        subject: "service",
        count: 11,
      },
    ]);
    const [quarter, hour, day] = await Promise.all([summary("15m"), summary("1h"), summary("24h")]);
    expect(quarter.counts.signIns).toBe(base);
    expect(hour.counts.signIns).toBe(base + 5);
    expect(day.counts.signIns).toBe(base + 12);
    expect(Date.parse(day.to) - Date.parse(day.from)).toBe(24 * 60 * MINUTE_MS);
    expect(quarter.window).toBe("15m");
  });

  it("counts failed mails created in the window", async () => {
    const insert = (id: string, status: string, createdAt: number) =>
      env.DB.prepare(
        "INSERT INTO email_outbox (id, to_address, subject, text, status, error, created_at) VALUES (?, ?, ?, NULL, ?, 'smtp 550', ?)",
      )
        .bind(id, "someone@example.com", "Reset", status, createdAt)
        .run();
    await insert("mail_failed_recent", "failed", Date.now() - 60_000);
    await insert("mail_failed_old", "failed", Date.now() - 2 * 60 * MINUTE_MS);
    await insert("mail_sent_recent", "sent", Date.now() - 60_000);
    expect((await summary("15m")).mailDeliveryFailures).toBe(1);
    expect((await summary("24h")).mailDeliveryFailures).toBe(2);
  });

  it("keeps at most 1,000 subjects per minute and dimension; the rest are counted under other", async () => {
    const minute = minuteOf(Date.now() - 3 * 60 * MINUTE_MS);
    const rows = Array.from({ length: MAX_SUBJECTS_PER_MINUTE + 5 }, (_, index) => ({
      minute,
      signal: "failed_login" as const,
      dimension: "address" as const,
      subject: `10.9.${index >> 8}.${index & 255}`,
      count: 1,
    }));
    await monitor().record(rows);
    // A subject already kept still counts under its own name.
    await monitor().record([{ ...(rows[0] as (typeof rows)[number]), count: 2 }]);
    const stored = await runInDurableObject(monitor(), (_instance, state) =>
      state.storage.sql
        .exec<{ subjects: number; other: number | null; first: number | null }>(
          `SELECT count(*) AS subjects,
             sum(CASE WHEN subject = 'other' THEN count END) AS other,
             sum(CASE WHEN subject = '10.9.0.0' THEN count END) AS first
           FROM signals WHERE minute = ? AND dimension = 'address'`,
          minute,
        )
        .one(),
    );
    expect(stored).toEqual({ subjects: MAX_SUBJECTS_PER_MINUTE + 1, other: 5, first: 3 });
  });

  it("a blocked address's requests are counted as blocked, without a D1 write", async () => {
    const blocked = "203.0.113.200";
    expect(
      (await asOperator("POST", "/v1/admin/ip-blocks", { body: { ip: blocked, reason: "stuffing" } })).status,
    ).toBe(201);
    const before = (await summary()).counts.blocked;
    const auditRows = async () =>
      (await env.DB.prepare("SELECT count(*) AS n FROM audit_log").first<{ n: number }>())?.n;
    const rowsBefore = await auditRows();
    for (const token of [undefined, "forged.token.value"]) {
      const response = await api("GET", "/v1/me", { ip: blocked, ...(token ? { token } : {}) });
      await expectProblem(response, 403, "ip_blocked");
    }
    await expectProblem(await loginFrom(blocked, victim.email, "x"), 403, "ip_blocked");
    expect(await auditRows()).toBe(rowsBefore);
    // The isolate hands these to the monitor within a few seconds.
    await vi.waitFor(async () => expect((await summary()).counts.blocked).toBe(before + 3), {
      timeout: 10_000,
      interval: 250,
    });
  });

  it("is the operator's only: 401 without the token or with a user's; a bad window is 400", async () => {
    await expectProblem(
      await api("GET", "/v1/admin/security/summary?window=15m", { ip: LEGIT_IP }),
      401,
      "unauthorized",
    );
    await expectProblem(
      await api("GET", "/v1/admin/security/summary?window=15m", { token: victim.token, ip: LEGIT_IP }),
      401,
      "unauthorized",
    );
    for (const window of ["5m", "", "24H"]) {
      await expectProblem(
        await asOperator("GET", `/v1/admin/security/summary?window=${window}`),
        400,
        "validation_failed",
      );
    }
    await expectProblem(await asOperator("GET", "/v1/admin/security/summary"), 400, "validation_failed");
    const audited = await env.DB.prepare(
      "SELECT count(*) AS n FROM audit_log WHERE type = 'admin.security_summary_viewed'",
    ).first<{ n: number }>();
    expect(audited?.n).toBeGreaterThan(0);
  });
});
