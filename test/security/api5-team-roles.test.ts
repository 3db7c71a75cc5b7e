// OWASP API5:2023 broken function level authorisation; ASVS 5.0 V8.2.1 (function level access),
// V8.3.3 (role changes take effect at once), V2.3 (business logic: a team keeps an owner).
import { beforeAll, describe, expect, it } from "vitest";
import { api, env, expectProblem, registerUser } from "../helpers/api";
import { createCollection, createImage } from "../helpers/fixtures";
import { type TeamWithRoles, teamWithEveryRole } from "../helpers/teams";

type Role = "owner" | "admin" | "member" | "viewer";

let team: TeamWithRoles;
let teamImageId: string;
let teamCollectionId: string;

beforeAll(async () => {
  team = await teamWithEveryRole();
  teamImageId = (await createImage(team.owner.token, { teamId: team.teamId })).id;
  teamCollectionId = (await createCollection(team.owner.token, { teamId: team.teamId })).id;
});

/** Each team action, the request that exercises it, and the roles the matrix allows. */
const actions: { name: string; allowed: Role[]; request: () => { method: string; path: string; body?: unknown } }[] = [
  {
    name: "view the team",
    allowed: ["owner", "admin", "member", "viewer"],
    request: () => ({ method: "GET", path: `/v1/teams/${team.teamId}` }),
  },
  {
    name: "list members",
    allowed: ["owner", "admin", "member", "viewer"],
    request: () => ({ method: "GET", path: `/v1/teams/${team.teamId}/members` }),
  },
  {
    name: "view a team image",
    allowed: ["owner", "admin", "member", "viewer"],
    request: () => ({ method: "GET", path: `/v1/images/${teamImageId}` }),
  },
  {
    name: "list team images",
    allowed: ["owner", "admin", "member", "viewer"],
    request: () => ({ method: "GET", path: `/v1/images?teamId=${team.teamId}` }),
  },
  {
    name: "read comments",
    allowed: ["owner", "admin", "member", "viewer"],
    request: () => ({ method: "GET", path: `/v1/images/${teamImageId}/comments` }),
  },
  {
    name: "comment",
    allowed: ["owner", "member"],
    request: () => ({ method: "POST", path: `/v1/images/${teamImageId}/comments`, body: { body: "looks good" } }),
  },
  {
    name: "generate into the team",
    allowed: ["owner", "admin", "member"],
    request: () => ({
      method: "POST",
      path: "/v1/images/generations",
      body: { prompt: "team art", size: "256x256", teamId: team.teamId },
    }),
  },
  {
    name: "edit a team image",
    allowed: ["owner", "admin", "member"],
    request: () => ({ method: "PATCH", path: `/v1/images/${teamImageId}`, body: { title: "edited" } }),
  },
  {
    name: "rename a team collection",
    allowed: ["owner", "admin", "member"],
    request: () => ({ method: "PATCH", path: `/v1/collections/${teamCollectionId}`, body: { name: "renamed" } }),
  },
  {
    name: "create a team collection",
    allowed: ["owner", "admin", "member"],
    request: () => ({ method: "POST", path: "/v1/collections", body: { name: "new", teamId: team.teamId } }),
  },
  {
    name: "change settings",
    allowed: ["owner", "admin"],
    request: () => ({ method: "PATCH", path: `/v1/teams/${team.teamId}`, body: { description: "updated" } }),
  },
  {
    name: "invite",
    allowed: ["owner", "admin"],
    request: () => ({
      method: "POST",
      path: `/v1/teams/${team.teamId}/invitations`,
      body: { email: `guest.${crypto.randomUUID()}@example.com`, role: "viewer" },
    }),
  },
];

describe("the role matrix over HTTP", () => {
  for (const action of actions) {
    for (const role of ["owner", "admin", "member", "viewer"] as const) {
      const allowed = action.allowed.includes(role);
      it(`${role} ${allowed ? "may" : "may not (403)"} ${action.name}`, async () => {
        const { method, path, body } = action.request();
        const response = await api(method, path, { token: team[role].token, body });
        if (allowed) expect(response.status).toBeLessThan(300);
        else await expectProblem(response, 403, "forbidden");
      });
    }
  }

  it("records each refusal as access.denied in the team's audit trail", async () => {
    const { results } = await env.DB.prepare(
      "SELECT user_id, metadata FROM audit_log WHERE type = 'access.denied' AND team_id = ?",
    )
      .bind(team.teamId)
      .all<{ user_id: string; metadata: string }>();
    const refusals = actions.reduce((count, action) => count + 4 - action.allowed.length, 0);
    expect(results).toHaveLength(refusals);
    expect(JSON.parse(results[0]?.metadata ?? "{}")).toMatchObject({
      action: expect.any(String),
      role: expect.any(String),
    });
  });

  it("only the owner may delete the team", async () => {
    const other = await teamWithEveryRole();
    for (const role of ["admin", "member", "viewer"] as const) {
      await expectProblem(
        await api("DELETE", `/v1/teams/${other.teamId}`, { token: other[role].token }),
        403,
        "forbidden",
      );
    }
    const imageId = (await createImage(other.owner.token, { teamId: other.teamId })).id;
    expect((await api("DELETE", `/v1/teams/${other.teamId}`, { token: other.owner.token })).status).toBe(204);
    await expectProblem(await api("GET", `/v1/teams/${other.teamId}`, { token: other.owner.token }), 404, "not_found");
    await expectProblem(await api("GET", `/v1/images/${imageId}`, { token: other.owner.token }), 404, "not_found");
    expect(await env.IMAGES.get(`images/${imageId}`)).toBeNull();
  });
});

describe("membership management", () => {
  it("an admin can neither make an owner nor remove or demote one", async () => {
    const t = await teamWithEveryRole();
    const asAdmin = { token: t.admin.token };
    await expectProblem(
      await api("PATCH", `/v1/teams/${t.teamId}/members/${t.member.id}`, { ...asAdmin, body: { role: "owner" } }),
      403,
      "forbidden",
    );
    await expectProblem(
      await api("PATCH", `/v1/teams/${t.teamId}/members/${t.owner.id}`, { ...asAdmin, body: { role: "viewer" } }),
      403,
      "forbidden",
    );
    await expectProblem(await api("DELETE", `/v1/teams/${t.teamId}/members/${t.owner.id}`, asAdmin), 403, "forbidden");
    await expectProblem(
      await api("POST", `/v1/teams/${t.teamId}/invitations`, {
        ...asAdmin,
        body: { email: "x@example.com", role: "owner" },
      }),
      403,
      "forbidden",
    );
    expect(
      (await api("PATCH", `/v1/teams/${t.teamId}/members/${t.member.id}`, { ...asAdmin, body: { role: "viewer" } }))
        .status,
    ).toBe(200);
  });

  it("a demotion or removal takes effect on the very next request", async () => {
    const t = await teamWithEveryRole();
    const path = `/v1/teams/${t.teamId}`;
    expect((await api("PATCH", path, { token: t.admin.token, body: { description: "before" } })).status).toBe(200);
    await api("PATCH", `/v1/teams/${t.teamId}/members/${t.admin.id}`, {
      token: t.owner.token,
      body: { role: "viewer" },
    });
    await expectProblem(
      await api("PATCH", path, { token: t.admin.token, body: { description: "after" } }),
      403,
      "forbidden",
    );
    await api("DELETE", `/v1/teams/${t.teamId}/members/${t.member.id}`, { token: t.owner.token });
    await expectProblem(await api("GET", path, { token: t.member.token }), 404, "not_found");
  });

  it("a team always keeps an owner: the last one can neither leave nor be demoted (409)", async () => {
    const t = await teamWithEveryRole();
    await expectProblem(
      await api("DELETE", `/v1/teams/${t.teamId}/members/${t.owner.id}`, { token: t.owner.token }),
      409,
      "conflict",
    );
    await expectProblem(
      await api("PATCH", `/v1/teams/${t.teamId}/members/${t.owner.id}`, {
        token: t.owner.token,
        body: { role: "admin" },
      }),
      409,
      "conflict",
    );
    expect(
      (await api("DELETE", `/v1/teams/${t.teamId}/members/${t.viewer.id}`, { token: t.viewer.token })).status,
    ).toBe(204);
  });

  it("two owners demoting each other at once still leave one owner", async () => {
    const t = await teamWithEveryRole();
    await api("PATCH", `/v1/teams/${t.teamId}/members/${t.admin.id}`, {
      token: t.owner.token,
      body: { role: "owner" },
    });
    const results = await Promise.all([
      api("PATCH", `/v1/teams/${t.teamId}/members/${t.admin.id}`, { token: t.owner.token, body: { role: "member" } }),
      api("PATCH", `/v1/teams/${t.teamId}/members/${t.owner.id}`, { token: t.admin.token, body: { role: "member" } }),
    ]);
    // Whichever lands first wins; the other is refused, either as no longer an owner (403) or as
    // the demotion of the last owner (409).
    const statuses = results.map((response) => response.status).sort();
    expect(statuses[0]).toBe(200);
    expect([403, 409]).toContain(statuses[1]);
    const owners = await env.DB.prepare("SELECT count(*) AS n FROM team_members WHERE team_id = ? AND role = 'owner'")
      .bind(t.teamId)
      .first<{ n: number }>();
    expect(owners?.n).toBe(1);
  });
});

describe("invitations", () => {
  it("can be accepted only by the invited email's account, once", async () => {
    const t = await teamWithEveryRole();
    const invitee = await registerUser();
    const intruder = await registerUser();
    await api("POST", `/v1/teams/${t.teamId}/invitations`, {
      token: t.owner.token,
      body: { email: invitee.email, role: "member" },
    });
    const { waitForMail, tokenFromMail } = await import("../helpers/outbox");
    const token = tokenFromMail(await waitForMail(invitee.email, /invited/i));

    await expectProblem(
      await api("POST", "/v1/invitations/accept", { token: intruder.token, body: { token } }),
      400,
      "invalid_token",
    );
    const accepted = await api("POST", "/v1/invitations/accept", { token: invitee.token, body: { token } });
    expect(accepted.status).toBe(200);
    expect(await accepted.json()).toMatchObject({ id: t.teamId, role: "member" });
    await expectProblem(
      await api("POST", "/v1/invitations/accept", { token: invitee.token, body: { token } }),
      400,
      "invalid_token",
    );
  });

  it("expires after 7 days and never stores the token", async () => {
    const t = await teamWithEveryRole();
    const invitee = await registerUser();
    await api("POST", `/v1/teams/${t.teamId}/invitations`, {
      token: t.owner.token,
      body: { email: invitee.email, role: "viewer" },
    });
    const { waitForMail, tokenFromMail } = await import("../helpers/outbox");
    const token = tokenFromMail(await waitForMail(invitee.email, /invited/i));
    const rows = await env.DB.prepare("SELECT * FROM team_invitations WHERE email = ?").bind(invitee.email).all();
    expect(JSON.stringify(rows.results)).not.toContain(token);
    await env.DB.prepare("UPDATE team_invitations SET expires_at = ? WHERE email = ?")
      .bind(Date.now() - 1, invitee.email)
      .run();
    await expectProblem(
      await api("POST", "/v1/invitations/accept", { token: invitee.token, body: { token } }),
      400,
      "invalid_token",
    );
  });

  it("refuses to invite an existing member (409)", async () => {
    const t = await teamWithEveryRole();
    const response = await api("POST", `/v1/teams/${t.teamId}/invitations`, {
      token: t.owner.token,
      body: { email: t.member.email, role: "admin" },
    });
    await expectProblem(response, 409, "conflict");
  });
});
