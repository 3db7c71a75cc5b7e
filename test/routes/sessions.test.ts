import { describe, expect, it, vi } from "vitest";
import { api, env, expectProblem, login, registerUser } from "../helpers/api";
import { insertSessions, liveSessionCount } from "../helpers/sessions";
import { decodeToken } from "../helpers/tokens";

interface SessionView {
  id: string;
  createdAt: string;
  lastSeenAt: string;
  ip: string | null;
  userAgent: string | null;
  current: boolean;
}

async function listSessions(token: string, query = "") {
  const response = await api("GET", `/v1/sessions${query}`, { token });
  expect(response.status).toBe(200);
  return (await response.json()) as { data: SessionView[]; nextCursor: string | null };
}

describe("GET /v1/sessions", () => {
  it("lists live sessions newest first, marks the current one, and records ip and user agent", async () => {
    const user = await registerUser();
    const response = await api("POST", "/v1/auth/login", {
      body: { email: user.email, password: user.password },
      ip: "203.0.113.7",
      headers: { "User-Agent": "TestAgent/1.0" },
    });
    const { token } = (await response.json()) as { token: string };
    const { data, nextCursor } = await listSessions(token);
    expect(nextCursor).toBeNull();
    expect(data).toHaveLength(2);
    expect(data[0]).toMatchObject({
      id: decodeToken(token).payload.sid,
      ip: "203.0.113.7",
      userAgent: "TestAgent/1.0",
      current: true,
    });
    expect(data[1]).toMatchObject({ id: decodeToken(user.token).payload.sid, current: false });
  });

  it("pages with limit and cursor without repeating or skipping a session", async () => {
    const user = await registerUser();
    for (let index = 0; index < 3; index++) await login(user.email, user.password);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { data: SessionView[]; nextCursor: string | null } = await listSessions(
        user.token,
        `?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
      );
      expect(page.data.length).toBeLessThanOrEqual(2);
      seen.push(...page.data.map((session) => session.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(4);
    expect(new Set(seen).size).toBe(4);
  });

  it("leaves revoked sessions out", async () => {
    const user = await registerUser();
    const other = await login(user.email, user.password);
    await api("POST", "/v1/auth/logout", { token: other });
    const { data } = await listSessions(user.token);
    expect(data.map((session) => session.id)).toEqual([decodeToken(user.token).payload.sid]);
  });

  it.each(["?limit=0", "?limit=101", "?limit=abc", "?cursor=ses_doesnotexist", "?unknown=1"])(
    "refuses %s with 400",
    async (query) => {
      const user = await registerUser();
      await expectProblem(await api("GET", `/v1/sessions${query}`, { token: user.token }), 400, "validation_failed");
    },
  );

  it("does not accept another user's session id as a cursor", async () => {
    const user = await registerUser();
    const stranger = await registerUser();
    const query = `?cursor=${decodeToken(stranger.token).payload.sid}`;
    await expectProblem(await api("GET", `/v1/sessions${query}`, { token: user.token }), 400, "validation_failed");
  });
});

describe("DELETE /v1/sessions/{id}", () => {
  it("revokes one session: its token fails on the next request, the others keep working", async () => {
    const user = await registerUser();
    const other = await login(user.email, user.password);
    const response = await api("DELETE", `/v1/sessions/${decodeToken(other).payload.sid}`, { token: user.token });
    expect(response.status).toBe(204);
    await expectProblem(await api("GET", "/v1/me", { token: other }), 401, "unauthorized");
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
  });

  it("answers 404 for another user's session and leaves it alive", async () => {
    const user = await registerUser();
    const stranger = await registerUser();
    const response = await api("DELETE", `/v1/sessions/${decodeToken(stranger.token).payload.sid}`, {
      token: user.token,
    });
    await expectProblem(response, 404, "not_found");
    expect((await api("GET", "/v1/me", { token: stranger.token })).status).toBe(200);
  });

  it("answers 404 for an unknown or already revoked session", async () => {
    const user = await registerUser();
    await expectProblem(await api("DELETE", "/v1/sessions/ses_unknown", { token: user.token }), 404, "not_found");
    const other = await login(user.email, user.password);
    const path = `/v1/sessions/${decodeToken(other).payload.sid}`;
    expect((await api("DELETE", path, { token: user.token })).status).toBe(204);
    await expectProblem(await api("DELETE", path, { token: user.token }), 404, "not_found");
  });
});

describe("last seen", () => {
  it("is written after a request when the stored time is over a minute old", async () => {
    const user = await registerUser();
    const sessionId = decodeToken(user.token).payload.sid;
    const stale = Date.now() - 5 * 60_000;
    await env.DB.prepare("UPDATE sessions SET last_seen_at = ? WHERE id = ?").bind(stale, sessionId).run();
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    await vi.waitFor(async () => {
      const row = await env.DB.prepare("SELECT last_seen_at FROM sessions WHERE id = ?")
        .bind(sessionId)
        .first<{ last_seen_at: number }>();
      expect(row?.last_seen_at).toBeGreaterThan(stale + 60_000);
    });
  });
});

const expectRefused = async (token: string) =>
  expectProblem(await api("GET", "/v1/me", { token }), 401, "unauthorized");
const expectAccepted = async (token: string) => expect((await api("GET", "/v1/me", { token })).status).toBe(200);

describe("logout-all cannot be jammed by piling up sessions", () => {
  it("with 10,001 sessions it answers 204 and every old token, refreshed ones included, is refused on the next request; a new sign-in works", async () => {
    const user = await registerUser();
    await insertSessions(user.id, 10_001);
    const second = await login(user.email, user.password);
    const refreshed = await api("POST", "/v1/auth/refresh", { token: second });
    const { token: refreshedToken } = (await refreshed.json()) as { token: string };

    expect((await api("POST", "/v1/auth/logout-all", { token: user.token })).status).toBe(204);
    for (const token of [user.token, refreshedToken]) await expectRefused(token);
    expect(await liveSessionCount(user.id)).toBe(0);

    const fresh = await login(user.email, user.password);
    await expectAccepted(fresh);
    expect(await liveSessionCount(user.id)).toBe(1);
  });
});

const sidOf = (token: string) => decodeToken(token).payload.sid;

async function evictionAudits(userId: string) {
  const { results } = await env.DB.prepare(
    "SELECT metadata FROM audit_log WHERE user_id = ? AND type = 'session.evicted'",
  )
    .bind(userId)
    .all<{ metadata: string }>();
  return results.map((row) => JSON.parse(row.metadata) as { sessionId: string });
}

describe("at most 100 live sessions per user", () => {
  it("the 101st sign-in ends the least recently used session: its token is refused at once, audited session.evicted", async () => {
    const user = await registerUser();
    // 99 sessions seen a minute ago; the first one (user.token) last seen a day ago: the LRU one.
    await insertSessions(user.id, 99, Date.now() - 60_000);
    await env.DB.prepare("UPDATE sessions SET last_seen_at = ? WHERE id = ?")
      .bind(Date.now() - 24 * 60 * 60_000, sidOf(user.token))
      .run();
    expect(await liveSessionCount(user.id)).toBe(100);

    const newest = await login(user.email, user.password);
    expect(await liveSessionCount(user.id)).toBe(100);
    await expectRefused(user.token);
    await expectAccepted(newest);
    expect(await evictionAudits(user.id)).toEqual([expect.objectContaining({ sessionId: sidOf(user.token) })]);
  });

  it("holds under concurrency: five sign-ins racing at the cap leave exactly 100 live sessions", async () => {
    const user = await registerUser();
    await insertSessions(user.id, 99);
    const tokens = await Promise.all(Array.from({ length: 5 }, () => login(user.email, user.password)));
    expect(await liveSessionCount(user.id)).toBe(100);
    for (const token of [user.token, ...tokens]) await expectAccepted(token);
    // The five least recently used bulk sessions went, each audited once.
    const evicted = await evictionAudits(user.id);
    expect(evicted).toHaveLength(5);
    expect(new Set(evicted.map((row) => row.sessionId)).size).toBe(5);
  });
});
