import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { toHex } from "../../src/crypto/encoding";
import { hmacSha256 } from "../../src/crypto/hash";
import type { AlertRecord } from "../../src/domain/alert-delivery";
import type { AlertInput } from "../../src/domain/alert-observation";
import { type AlertDesk, alertDesk } from "../../src/durable-objects/alert-desk";
import { loadConfig } from "../../src/env";
import { raiseAlertsFor } from "../../src/services/alerts";
import { api, env, expectProblem } from "../helpers/api";
import { deployedSettings, fetchWithEnv } from "../helpers/custom-env";

const MINUTE = 60_000;
const deskNamed = (name: string) => env.ALERT_DESK.get(env.ALERT_DESK.idFromName(name));
type Desk = ReturnType<typeof deskNamed>;

const spike = (minute: number, subject = "service"): AlertInput => ({
  kind: subject === "service" ? "failed_logins_spike" : "account_under_attack",
  subject,
  observed: 140,
  threshold: 100,
  minute,
});

/** Runs `change` on the desk instance itself (its clock, its hook), in this isolate. */
const onDesk = (desk: Desk, change: (instance: AlertDesk, state: DurableObjectState) => unknown) =>
  runInDurableObject(desk as unknown as DurableObjectStub, (instance, state) =>
    change(instance as unknown as AlertDesk, state),
  );

const alarmOf = (desk: Desk) => onDesk(desk, (_instance, state) => state.storage.getAlarm()) as Promise<number | null>;

async function allAlerts(desk: Desk): Promise<AlertRecord[]> {
  const alerts: AlertRecord[] = [];
  let cursor: string | null = null;
  do {
    const page: { data: AlertRecord[]; nextCursor: string | null } = await desk.list(100, cursor);
    alerts.push(...page.data);
    cursor = page.nextCursor;
  } while (cursor !== null);
  return alerts;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("AlertDesk.raise: one alert per kind and subject per 10 minutes", () => {
  it("a repeat within 10 minutes is a duplicate; another subject or kind is not; 10 minutes later it alerts again", async () => {
    const desk = deskNamed("dedup");
    const t = Date.UTC(2026, 10, 30, 6, 0);
    const first = await desk.raise(spike(t), t);
    expect(first).toEqual({ status: "raised", id: expect.stringMatching(/^alr_[A-Za-z0-9_-]{22}$/) });
    expect(await desk.raise(spike(t + MINUTE), t + MINUTE)).toEqual({ status: "duplicate" });
    expect(await desk.raise(spike(t + 9 * MINUTE), t + 10 * MINUTE - 1)).toEqual({ status: "duplicate" });
    // Late and early callers are compared the same way: within 10 minutes of the raised one.
    expect(await desk.raise(spike(t - 5 * MINUTE), t - 5 * MINUTE)).toEqual({ status: "duplicate" });
    expect((await desk.raise(spike(t, "victim@example.com"), t)).status).toBe("raised");
    expect((await desk.raise({ ...spike(t), kind: "key_rejections_burst" }, t)).status).toBe("raised");
    expect((await desk.raise(spike(t + 10 * MINUTE), t + 10 * MINUTE)).status).toBe("raised");

    const listed = await allAlerts(desk);
    const named = listed.map((alert) => `${alert.kind} ${alert.subject} ${alert.raisedAt}`);
    // Newest first; the three of the same instant in any order.
    expect(named[0]).toBe(`failed_logins_spike service ${new Date(t + 10 * MINUTE).toISOString()}`);
    expect(named.slice(1).sort()).toEqual([
      `account_under_attack victim@example.com ${new Date(t).toISOString()}`,
      `failed_logins_spike service ${new Date(t).toISOString()}`,
      `key_rejections_burst service ${new Date(t).toISOString()}`,
    ]);
    // No ALERT_WEBHOOK_URL in the pool: kept and listed, never sent.
    expect(listed.every((alert) => alert.status === "unsent" && alert.attempts === 0)).toBe(true);
  });

  it("20 concurrent raises of the same alert: exactly one is raised", async () => {
    const desk = deskNamed("concurrent");
    const t = Date.now();
    const outcomes = await Promise.all(Array.from({ length: 20 }, (_, index) => desk.raise(spike(t), t + index)));
    expect(outcomes.filter((outcome) => outcome.status === "raised")).toHaveLength(1);
    expect(outcomes.filter((outcome) => outcome.status === "duplicate")).toHaveLength(19);
    expect(await allAlerts(desk)).toHaveLength(1);
  });

  it("an alert storm: a ceiling of alerts per 10 minutes, a cap on those kept, the oldest dropped first", async () => {
    const desk = deskNamed("storm");
    // The real limits (500 per 10 minutes, 1,000 kept) scaled down: the same rules in a few calls.
    await onDesk(desk, (instance) => {
      instance.limits = { perWindow: 5, stored: 10 };
    });
    const t = Date.UTC(2026, 10, 30, 5, 0);
    const burst = await Promise.all(
      Array.from({ length: 6 }, (_, index) => desk.raise(spike(t, `user${index}@example.com`), t)),
    );
    expect(burst.filter((outcome) => outcome.status === "raised")).toHaveLength(5);
    // Later windows add more, until the cap drops the oldest.
    const later = await Promise.all(
      Array.from({ length: 6 }, (_, index) =>
        desk.raise(spike(t, `late${index}@example.com`), t + 20 * MINUTE + index * 2 * MINUTE),
      ),
    );
    expect(later.every((outcome) => outcome.status === "raised")).toBe(true);
    const kept = await allAlerts(desk);
    expect(kept).toHaveLength(10);
    expect(kept[0]?.subject).toBe("late5@example.com");
    const times = kept.map((alert) => Date.parse(alert.raisedAt));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(kept.filter((alert) => alert.raisedAt === new Date(t).toISOString())).toHaveLength(4);
  });
});

describe("AlertDesk delivery to ALERT_WEBHOOK_URL", () => {
  const secret = "alert-webhook-secret-of-at-least-32-bytes";
  const hook = "https://hooks.imagebot.test/alerts";

  /** The hook as the desk would call it, answering `status`; records every POST. */
  function standInHook(status: number) {
    const posts: { url: string; headers: Headers; body: string }[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      posts.push({ url: request.url, headers: request.headers, body: await request.text() });
      return new Response(null, { status });
    });
    return posts;
  }

  async function verify(header: string | null, body: string): Promise<number> {
    const match = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header ?? "");
    expect(match, `signature header ${header}`).not.toBeNull();
    const [, t, v1] = match as RegExpExecArray;
    expect(toHex(await hmacSha256(secret, `${t}.${body}`))).toBe(v1);
    return Number(t);
  }

  it("POSTs the alert's JSON, signed with ALERT_WEBHOOK_SECRET, and marks it delivered", async () => {
    const posts = standInHook(204);
    const desk = deskNamed("delivery");
    await onDesk(desk, (instance) => {
      instance.webhook = () => ({ url: hook, secret });
    });
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE;
    const raised = await desk.raise(spike(minute, "203.0.113.0/24"), minute + MINUTE);
    await vi.waitFor(async () => expect((await allAlerts(desk))[0]?.status).toBe("delivered"), { timeout: 10_000 });

    expect(posts).toHaveLength(1);
    const [post] = posts;
    expect(post?.url).toBe(hook);
    expect(post?.headers.get("Content-Type")).toBe("application/json");
    const signedAt = await verify(post?.headers.get("X-ImageBot-Signature") ?? null, post?.body ?? "");
    expect(Math.abs(signedAt - Date.now() / 1000)).toBeLessThan(60);
    expect(JSON.parse(post?.body ?? "")).toEqual({
      id: raised.status === "raised" ? raised.id : "",
      kind: "account_under_attack",
      subject: "203.0.113.0/24",
      observed: 140,
      threshold: 100,
      minute: new Date(minute).toISOString(),
      raisedAt: new Date(minute + MINUTE).toISOString(),
      environment: "development",
    });
    const [listed] = await allAlerts(desk);
    expect(listed).toMatchObject({ status: "delivered", attempts: 1, lastError: null });
    // Delivered: only the expiry, 7 days on, is left for the alarm.
    expect(await alarmOf(desk)).toBe(minute + MINUTE + 7 * 24 * 60 * MINUTE);
  });

  it("a failing hook is retried by the alarm, 30 s then doubling, each POST signed afresh, and ends failed after 8", async () => {
    const posts = standInHook(500);
    const desk = deskNamed("retries");
    let clock = Date.now();
    await onDesk(desk, (instance) => {
      instance.webhook = () => ({ url: hook, secret });
      instance.now = () => clock;
    });
    const raisedAt = clock;
    await desk.raise(spike(raisedAt - MINUTE), raisedAt);
    await vi.waitFor(async () => expect((await allAlerts(desk))[0]?.attempts).toBe(1), { timeout: 10_000 });

    const delays: number[] = [];
    for (let attempt = 2; attempt <= 8; attempt++) {
      const next = (await alarmOf(desk)) as number;
      delays.push(next - clock);
      clock = next;
      expect(await runDurableObjectAlarm(desk)).toBe(true);
      expect((await allAlerts(desk))[0]).toMatchObject({ attempts: attempt, lastError: "HTTP 500" });
    }
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000]);
    const [given] = await allAlerts(desk);
    expect(given).toMatchObject({ status: "failed", attempts: 8, lastError: "HTTP 500" });
    expect(posts).toHaveLength(8);
    const times = await Promise.all(posts.map((post) => verify(post.headers.get("X-ImageBot-Signature"), post.body)));
    expect(times.at(-1)).toBe(Math.floor(clock / 1000));
    expect(new Set(posts.map((post) => post.body)).size).toBe(1);

    // No more retries: the alarm waits for the expiry, then the desk forgets the alert.
    const expiry = (await alarmOf(desk)) as number;
    expect(expiry).toBe(raisedAt + 7 * 24 * 60 * MINUTE);
    clock = expiry;
    await runDurableObjectAlarm(desk);
    expect(await allAlerts(desk)).toEqual([]);
    expect(await alarmOf(desk)).toBeNull();
    expect(posts).toHaveLength(8);
  });

  it.each([
    ["cannot be reached", new TypeError("connection refused"), "network error"],
    // What fetch rejects with when AbortSignal.timeout(5 s) fires.
    ["does not answer in 5 s", new DOMException("The operation timed out.", "TimeoutError"), "timeout"],
  ])("a hook that %s is a failure to retry", async (label, failure, lastError) => {
    vi.spyOn(globalThis, "fetch").mockRejectedValue(failure);
    const desk = deskNamed(`unreachable ${label}`);
    await onDesk(desk, (instance) => {
      instance.webhook = () => ({ url: hook, secret });
    });
    await desk.raise(spike(Date.now()), Date.now());
    await vi.waitFor(async () =>
      expect((await allAlerts(desk))[0]).toMatchObject({ status: "pending", attempts: 1, lastError }),
    );
  });
});

describe("raiseAlertsFor: one minute's observation through the rules to the desk", () => {
  it("raises what the configured thresholds say, once per kind and subject across minutes", async () => {
    const loaded = loadConfig({ ...env, ALERT_NETWORK_ACCOUNTS: "3" });
    if (!loaded.ok) throw new Error(loaded.problems.join("; "));
    const minute = Math.floor(Date.now() / MINUTE) * MINUTE - 5 * MINUTE;
    const observation = {
      minute,
      failedLogins: 40,
      keyRejections: 0,
      accounts: [{ account: "quiet@example.com", failedLogins: 40, distinctAddresses: 2 }],
      networks: [{ network: "198.51.100.0/24", failedLogins: 40, distinctAccounts: 3 }],
    };
    const first = await raiseAlertsFor(env, loaded.config, observation, minute + MINUTE);
    expect(first).toEqual([
      {
        alert: expect.objectContaining({ kind: "network_under_attack", subject: "198.51.100.0/24" }),
        outcome: { status: "raised", id: expect.stringMatching(/^alr_/) },
      },
    ]);
    const next = await raiseAlertsFor(
      env,
      loaded.config,
      { ...observation, minute: minute + MINUTE },
      minute + 2 * MINUTE,
    );
    expect(next.map((each) => each.outcome)).toEqual([{ status: "duplicate" }]);
    expect(await raiseAlertsFor(env, loaded.config, observation, minute + MINUTE, () => true)).toEqual([]);
    expect(await raiseAlertsFor(env, loaded.config, { ...observation, networks: [] }, minute + MINUTE)).toEqual([]);
    const listed = (await allAlerts(alertDesk(env))).filter((alert) => alert.subject === "198.51.100.0/24");
    expect(listed).toMatchObject([{ kind: "network_under_attack", observed: 3, threshold: 3 }]);
  });
});

describe("GET /dev/alerts", () => {
  it("lists the desk's alerts newest first, each with its delivery status, a page at a time", async () => {
    const t = Date.now();
    const desk = alertDesk(env);
    const older = await desk.raise(spike(t - 2 * MINUTE, "listed-old@example.com"), t - MINUTE);
    const newer = await desk.raise(spike(t - MINUTE, "listed-new@example.com"), t);
    const first = await api("GET", "/dev/alerts?limit=1", { ip: "10.9.9.9" });
    expect(first.status).toBe(200);
    const page = await first.json<{ data: AlertRecord[]; nextCursor: string | null }>();
    expect(page.data).toEqual([
      {
        id: newer.status === "raised" ? newer.id : "",
        kind: "account_under_attack",
        subject: "listed-new@example.com",
        observed: 140,
        threshold: 100,
        minute: new Date(t - MINUTE).toISOString(),
        raisedAt: new Date(t).toISOString(),
        environment: "development",
        status: "unsent",
        attempts: 0,
        lastError: null,
      },
    ]);
    const second = await api("GET", `/dev/alerts?limit=1&cursor=${page.nextCursor}`, { ip: "10.9.9.9" });
    const next = await second.json<{ data: AlertRecord[] }>();
    expect(next.data.map((alert) => alert.id)).toEqual([older.status === "raised" ? older.id : ""]);
    await expectProblem(
      await api("GET", "/dev/alerts?cursor=not-a-cursor", { ip: "10.9.9.9" }),
      400,
      "validation_failed",
    );
  });

  it("exists only in development", async () => {
    for (const environment of ["staging", "production"]) {
      const response = await fetchWithEnv(
        { ...deployedSettings, ENVIRONMENT: environment },
        new Request("https://edge.test/dev/alerts", { headers: { "CF-Connecting-IP": "10.9.9.9" } }),
      );
      await expectProblem(response, 404, "not_found");
    }
  });
});
