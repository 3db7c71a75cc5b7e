import { describe, expect, it } from "vitest";
import { api, expectProblem, login, registerUser } from "../helpers/api";
import { createImage } from "../helpers/fixtures";
import { asOperator } from "../helpers/operator";
import { teamWithEveryRole } from "../helpers/teams";
import { userWithTwoFactor } from "../helpers/totp";

interface AuditPage {
  data: {
    id: string;
    type: string;
    userId: string | null;
    teamId: string | null;
    ip: string | null;
    requestId: string | null;
    metadata: Record<string, unknown>;
  }[];
  nextCursor: string | null;
}

async function page(token: string, path: string) {
  const response = await api("GET", path, { token });
  expect(response.status).toBe(200);
  return (await response.json()) as AuditPage;
}

describe("GET /v1/audit-log", () => {
  it("lists the caller's own events newest first, filters by type, and pages with a cursor", async () => {
    const user = await registerUser();
    const stranger = await registerUser();
    await login(user.email, user.password);
    await createImage(user.token);
    await api("PATCH", "/v1/me", { token: user.token, body: { name: "Audited" } });

    const all = await page(user.token, "/v1/audit-log");
    expect(all.data.map((event) => event.type)).toEqual([
      "profile.updated",
      "image.generated",
      "auth.new_ip_notice",
      "auth.login",
      "email.verified",
      "user.registered",
    ]);
    expect(all.data.every((event) => event.userId === user.id)).toBe(true);

    const logins = await page(user.token, "/v1/audit-log?type=auth.login");
    expect(logins.data.map((event) => event.type)).toEqual(["auth.login"]);

    const first = await page(user.token, "/v1/audit-log?limit=2");
    expect(first.data).toHaveLength(2);
    const second = await page(user.token, `/v1/audit-log?limit=2&cursor=${first.nextCursor}`);
    expect(second.data.map((event) => event.id)).toEqual(all.data.slice(2, 4).map((event) => event.id));

    const theirs = await page(stranger.token, "/v1/audit-log");
    expect(theirs.data.map((event) => event.type)).toEqual(["email.verified", "user.registered"]);
  });

  it("shows an operator's actions as by operator, never the operator's IP or request id", async () => {
    const { user } = await userWithTwoFactor();
    const operatorIp = "192.0.2.77";
    const operatorRequestIds: string[] = [];
    for (const [method, path, body] of [
      ["PATCH", `/v1/admin/users/${user.id}`, { plan: "pro" }],
      ["POST", `/v1/admin/users/${user.id}/unlock`, undefined],
      ["DELETE", `/v1/admin/users/${user.id}/2fa`, undefined],
      ["POST", `/v1/admin/users/${user.id}/revoke-all`, undefined],
    ] as const) {
      const response = await asOperator(method, path, { ip: operatorIp, ...(body ? { body } : {}) });
      expect(response.status).toBeLessThan(300);
      operatorRequestIds.push(response.headers.get("X-Request-Id") ?? "missing");
    }
    const userIp = "198.51.100.23";
    const token = await login(user.email, user.password, userIp);

    const response = await api("GET", "/v1/audit-log", { token });
    const text = await response.text();
    for (const secret of [operatorIp, ...operatorRequestIds]) expect(text).not.toContain(secret);
    const events = (JSON.parse(text) as AuditPage).data;
    const byOperator = events.filter((event) => event.metadata.by === "operator");
    expect(byOperator.map((event) => event.type).sort()).toEqual([
      "admin.credentials_revoked",
      "admin.user_updated",
      "auth.unlocked",
      "mfa.disabled",
    ]);
    expect(byOperator.every((event) => event.ip === null && event.requestId === null)).toBe(true);
    // The user's own actions still show where they came from.
    expect(events.find((event) => event.type === "auth.login")).toMatchObject({ ip: userIp });

    const exported = await (await api("GET", "/v1/account/export", { token })).text();
    for (const secret of [operatorIp, ...operatorRequestIds]) expect(exported).not.toContain(secret);
  });

  it.each(["?type=DROP TABLE", "?type=x", "?limit=101"])("refuses %s with 400", async (query) => {
    const user = await registerUser();
    await expectProblem(await api("GET", `/v1/audit-log${query}`, { token: user.token }), 400, "validation_failed");
  });

  it("offers no way to change or delete a row", async () => {
    const user = await registerUser();
    for (const method of ["PUT", "PATCH", "DELETE", "POST"]) {
      await expectProblem(
        await api(method, "/v1/audit-log", { token: user.token, body: {} }),
        405,
        "method_not_allowed",
      );
    }
  });
});

describe("GET /v1/teams/{id}/audit-log", () => {
  it("shows the team's events to owners and admins only", async () => {
    const team = await teamWithEveryRole();
    const events = await page(team.owner.token, `/v1/teams/${team.teamId}/audit-log`);
    expect(events.data.map((event) => event.type)).toEqual(
      expect.arrayContaining(["team.created", "team.invited", "team.member_joined"]),
    );
    expect(events.data.every((event) => event.teamId === team.teamId)).toBe(true);
    const invitations = await page(team.admin.token, `/v1/teams/${team.teamId}/audit-log?type=team.invited`);
    expect(invitations.data).toHaveLength(3);
    for (const role of ["member", "viewer"] as const) {
      await expectProblem(
        await api("GET", `/v1/teams/${team.teamId}/audit-log`, { token: team[role].token }),
        403,
        "forbidden",
      );
    }
    const outsider = await registerUser();
    await expectProblem(
      await api("GET", `/v1/teams/${team.teamId}/audit-log`, { token: outsider.token }),
      404,
      "not_found",
    );
  });

  it("shows members' IPs to owners only: an admin reads the same rows without them", async () => {
    const team = await teamWithEveryRole();
    const memberIp = "198.51.100.41";
    const renamed = await api("PATCH", `/v1/teams/${team.teamId}`, {
      token: team.admin.token,
      body: { name: "Renamed" },
      ip: memberIp,
    });
    expect(renamed.status).toBe(200);
    const path = `/v1/teams/${team.teamId}/audit-log`;

    const ownerView = await page(team.owner.token, path);
    expect(ownerView.data.find((event) => event.type === "team.updated")).toMatchObject({ ip: memberIp });
    expect(ownerView.data.every((event) => event.ip !== null)).toBe(true);

    const response = await api("GET", path, { token: team.admin.token });
    const text = await response.text();
    expect(text).not.toContain(memberIp);
    const adminView = JSON.parse(text) as AuditPage;
    expect(adminView.data.map((event) => event.id)).toEqual(ownerView.data.map((event) => event.id));
    expect(adminView.data.every((event) => event.ip === null)).toBe(true);
  });
});
