import { describe, expect, it } from "vitest";
import { api, env, login, registerUser } from "./helpers/api";
import { decodeToken } from "./helpers/tokens";

interface AuditRow {
  type: string;
  user_id: string | null;
  ip: string | null;
  request_id: string | null;
  metadata: string;
}

async function auditRowsOf(userId: string): Promise<AuditRow[]> {
  const { results } = await env.DB.prepare("SELECT * FROM audit_log WHERE user_id = ? ORDER BY created_at")
    .bind(userId)
    .all<AuditRow>();
  return results;
}

describe("audit log", () => {
  it("records each account event with the request id and client IP, before the response is sent", async () => {
    const user = await registerUser({ verified: false });
    const failed = await api("POST", "/v1/auth/login", {
      body: { email: user.email, password: "wrong password" },
      ip: "198.51.100.4",
    });
    expect(failed.status).toBe(401);
    const second = await login(user.email, user.password, "198.51.100.5");
    const profile = await api("PATCH", "/v1/me", { token: second, body: { name: "Audited" } });
    const third = await login(user.email, user.password);
    await api("DELETE", `/v1/sessions/${decodeToken(third).payload.sid}`, { token: second });
    await api("POST", "/v1/auth/logout", { token: second });

    const rows = await auditRowsOf(user.id);
    expect(rows.map((row) => row.type)).toEqual([
      "user.registered",
      "auth.login_failed",
      "auth.login",
      "auth.new_ip_notice",
      "profile.updated",
      "auth.login",
      "auth.new_ip_notice",
      "session.revoked",
      "auth.logout",
    ]);
    expect(rows[1]).toMatchObject({ ip: "198.51.100.4", request_id: failed.headers.get("X-Request-Id") });
    expect(JSON.parse(rows[1]?.metadata ?? "{}")).toEqual({ reason: "bad_password", context: "login", count: 1 });
    expect(rows[2]).toMatchObject({ ip: "198.51.100.5" });
    expect(rows[4]).toMatchObject({ request_id: profile.headers.get("X-Request-Id") });
    expect(JSON.parse(rows[4]?.metadata ?? "{}")).toEqual({ fields: ["name"] });
  });

  it("never holds a password, token or hash", async () => {
    const user = await registerUser();
    const token = await login(user.email, user.password);
    await api("POST", "/v1/auth/login", { body: { email: user.email, password: "a wrong guess 123" } });
    await api("PATCH", "/v1/me", { token, body: { name: "n" } });
    await api("POST", "/v1/auth/refresh", { token });
    const { results } = await env.DB.prepare("SELECT * FROM audit_log").all();
    const { results: hashes } = await env.DB.prepare("SELECT password_hash FROM users").all<{
      password_hash: string;
    }>();
    const dump = JSON.stringify(results);
    for (const secret of [
      user.password,
      "a wrong guess 123",
      user.token,
      token,
      ...hashes.map((row) => row.password_hash),
    ]) {
      expect(dump).not.toContain(secret);
    }
    for (const secret of [user.token, token]) expect(dump).not.toContain(secret.split(".")[2]);
  });
});
