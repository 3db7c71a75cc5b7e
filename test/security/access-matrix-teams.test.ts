// OWASP API1:2023 (broken object level authorization), API5:2023 (broken function level
// authorization); ASVS 5.0 V8.1.1 (the rules are written down: test/helpers/access-matrix-table.ts),
// V8.2.1 (function-level access: owner/admin-only actions), V8.2.2 (data-specific access: another
// team is not found), V8.3.1 (enforced server-side), V8.4.1 (cross-tenant isolation). The team
// rows of the access matrix: every team, membership and invitation route × every kind of caller,
// as real requests; refusals leave the team, its members and its invitations as they were.
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import {
  type Cell,
  callerFor,
  describeAccessMatrix,
  forgetInvitationSends,
  invitationToken,
  joinTeam,
  json,
  once,
  type Probe,
  scalar,
  useWorld,
} from "../helpers/access-matrix";
import { api, type RegisteredUser, registerUser } from "../helpers/api";
import { createTeam } from "../helpers/fixtures";

const world = useWorld();

/** A fresh user who joined T with `role` (through an invitation, as any member does). */
async function newTeamMember(role: string) {
  const user = await registerUser();
  await joinTeam(world().owner, world().teamId, user, role);
  return user;
}

const roleInT = (userId: string) =>
  scalar<string>("SELECT role AS value FROM team_members WHERE team_id = ? AND user_id = ?", world().teamId, userId);

async function invite(inviter: RegisteredUser, teamId: string, email: string, role: string): Promise<string> {
  // The matrix sends more invitations than the caps allow in a day (20 per team, 3 per address;
  // they are tested in api5-team-roles.test.ts), several cells at once to one address: a cell
  // refused by a cap forgets the sends so far, as a day passing would, and tries again.
  for (let attempt = 1; ; attempt++) {
    const response = await api("POST", `/v1/teams/${teamId}/invitations`, {
      token: inviter.token,
      body: { email, role },
    });
    if (response.status === 429 && attempt < 5) {
      await forgetInvitationSends();
      continue;
    }
    expect(response.status).toBe(201);
    return (await json<{ id: string }>(response)).id;
  }
}

/** A pending invitation into T that refused callers try to cancel; it must stay pending. */
const sharedPending = once(() => invite(world().owner, world().teamId, "cancel.shared@example.com", "viewer"));

/** A pending invitation into the other team U, which no caller may cancel through T's path. */
const otherTeamsInvitation = once(() =>
  invite(world().otherTeamOwner, world().otherTeamId, `other.${crypto.randomUUID()}@example.com`, "viewer"),
);

const voided = async (invitationId: string) =>
  (await scalar("SELECT voided_at AS value FROM team_invitations WHERE id = ?", invitationId)) !== null;

/** A user with teams of their own, who invites matrix users into them. */
const inviter = once(() => registerUser());

/** An invitation into T for an email nobody has registered yet: every principal tries it. */
const strangersInvitation = once(async () => {
  const email = `stranger.${crypto.randomUUID()}@example.com`;
  await invite(world().owner, world().teamId, email, "viewer");
  const token = await invitationToken(email, "Studio");
  return { email, token };
});

const invitationAccepted = (email: string) =>
  scalar<number | null>("SELECT accepted_at AS value FROM team_invitations WHERE email = ?", email);

/** Membership changes: allowed callers act on a fresh subject, refused ones on a shared one. */
function onMember(subjectRole: "viewer" | "owner", make: (cell: Cell, subject: RegisteredUser) => Probe) {
  const shared = once(() => newTeamMember(subjectRole));
  return async (cell: Cell) => {
    const subject = cell.allowed ? await newTeamMember(subjectRole) : await shared();
    return make(cell, subject)(cell);
  };
}

const changeRole = (to: "member" | "owner"): Probe =>
  onMember("viewer", (cell, subject) => () => ({
    method: "PATCH",
    path: `/v1/teams/${world().teamId}/members/${subject.id}`,
    body: { role: to },
    after: async (response) => {
      if (cell.allowed) expect(await json(response)).toMatchObject({ userId: subject.id, role: to });
      expect(await roleInT(subject.id)).toBe(cell.allowed ? to : "viewer");
    },
  }));

const removeMember = (subjectRole: "viewer" | "owner"): Probe =>
  onMember(subjectRole, (cell, subject) => () => ({
    method: "DELETE",
    path: `/v1/teams/${world().teamId}/members/${subject.id}`,
    after: async () => {
      expect(await roleInT(subject.id)).toBe(cell.allowed ? null : subjectRole);
    },
  }));

const inviteInto =
  (role: "viewer" | "owner"): Probe =>
  (cell) => {
    const email = `invitee.${cell.label}@example.com`;
    return {
      method: "POST",
      path: `/v1/teams/${world().teamId}/invitations`,
      body: { email, role },
      after: async (response) => {
        if (cell.allowed) expect(await json(response)).toMatchObject({ teamId: world().teamId, email, role });
        expect(await scalar("SELECT count(*) AS value FROM team_invitations WHERE email = ?", email)).toBe(
          cell.allowed ? 1 : 0,
        );
      },
    };
  };

/** The role a world user has in T (null: not a member). */
function roleBefore(user: RegisteredUser) {
  const { owner, admin, member, viewer } = world();
  return (
    (
      { [owner.id]: "owner", [admin.id]: "admin", [member.id]: "member", [viewer.id]: "viewer" } as Record<
        string,
        string
      >
    )[user.id] ?? null
  );
}

const inT = (cell: Cell) => ["viewer", "member", "admin", "owner"].includes(cell.principal);

describeAccessMatrix("teams", world, {
  "POST /v1/teams": (cell) => {
    const name = `team of ${cell.label}`;
    return {
      method: "POST",
      path: "/v1/teams",
      body: { name },
      after: async (response) => {
        if (cell.allowed) expect(await json(response)).toMatchObject({ name, role: "owner" });
        expect(await scalar("SELECT count(*) AS value FROM teams WHERE name = ?", name)).toBe(cell.allowed ? 1 : 0);
      },
    };
  },
  "GET /v1/teams": (cell) => ({
    method: "GET",
    path: "/v1/teams",
    after: async (response) => {
      if (!response.ok) return;
      const ids = (await json<{ data: { id: string }[] }>(response)).data.map((team) => team.id);
      expect(ids.includes(world().teamId)).toBe(inT(cell));
      expect(ids.includes(world().otherTeamId)).toBe(cell.principal === "otherTeamOwner");
    },
  }),
  "GET /v1/teams/{id}": (cell) => ({
    method: "GET",
    path: `/v1/teams/${world().teamId}`,
    after: async (response) => {
      if (response.ok) expect(await json(response)).toMatchObject({ id: world().teamId, role: cell.principal });
    },
  }),
  "PATCH /v1/teams/{id}": (cell) => {
    const description = `settings by ${cell.label}`;
    return {
      method: "PATCH",
      path: `/v1/teams/${world().teamId}`,
      body: { description },
      after: async (response) => {
        if (cell.allowed) expect(await json(response)).toMatchObject({ id: world().teamId, description });
        else
          expect(await scalar("SELECT description AS value FROM teams WHERE id = ?", world().teamId)).not.toBe(
            description,
          );
      },
    };
  },
  "DELETE /v1/teams/{id}": async (cell) => {
    // The one allowed caller deletes a team of their own made for it; the refusals try T.
    const teamId = cell.allowed ? (await createTeam(world().owner.token, "Disposable")).id : world().teamId;
    return {
      method: "DELETE",
      path: `/v1/teams/${teamId}`,
      after: async () => {
        expect(await scalar("SELECT count(*) AS value FROM teams WHERE id = ?", teamId)).toBe(cell.allowed ? 0 : 1);
        if (!cell.allowed) expect(await roleInT(world().viewer.id)).toBe("viewer");
      },
    };
  },
  "POST /v1/teams/{id}/invitations [role viewer]": inviteInto("viewer"),
  "POST /v1/teams/{id}/invitations [role owner]": inviteInto("owner"),
  "GET /v1/teams/{id}/invitations": async () => {
    const { email } = await strangersInvitation();
    return {
      method: "GET",
      path: `/v1/teams/${world().teamId}/invitations`,
      after: async (response: Response) => {
        if (!response.ok) return;
        const text = await response.text();
        const page = JSON.parse(text) as { data: { email: string; teamId: string }[] };
        expect(page.data.map((invitation) => invitation.email)).toContain(email);
        expect(page.data.every((invitation) => invitation.teamId === world().teamId)).toBe(true);
        expect(text).not.toMatch(/token/i);
      },
    };
  },
  "DELETE /v1/teams/{id}/invitations/{invitationId} [T's]": async (cell) => {
    // Allowed callers cancel an invitation of their own; refused ones try a shared one.
    const email = cell.allowed ? `cancel.${cell.label}@example.com` : "cancel.shared@example.com";
    const id = cell.allowed ? await invite(world().owner, world().teamId, email, "viewer") : await sharedPending();
    return {
      method: "DELETE",
      path: `/v1/teams/${world().teamId}/invitations/${id}`,
      after: async () => {
        expect(await voided(id)).toBe(cell.allowed);
      },
    };
  },
  "DELETE /v1/teams/{id}/invitations/{invitationId} [another team's]": async () => {
    const id = await otherTeamsInvitation();
    return {
      method: "DELETE",
      path: `/v1/teams/${world().teamId}/invitations/${id}`,
      after: async () => {
        expect(await voided(id)).toBe(false);
      },
    };
  },
  "POST /v1/invitations/accept [invitation to the caller]": async (cell) => {
    // An invitation to the very user the caller acts as, into a team of its own per cell.
    if (!cell.actor) return { method: "POST", path: "/v1/invitations/accept", body: { token: "no-invitation" } };
    const actor = cell.actor;
    const host = await inviter();
    const name = `Guest studio ${cell.label}`;
    const { id: teamId } = await createTeam(host.token, name);
    await invite(host, teamId, actor.email, "viewer");
    const token = await invitationToken(actor.email, name);
    return {
      method: "POST",
      path: "/v1/invitations/accept",
      body: { token },
      after: async (response) => {
        if (cell.allowed) expect(await json(response)).toMatchObject({ id: teamId, role: "viewer" });
        const member = await scalar<string>(
          "SELECT role AS value FROM team_members WHERE team_id = ? AND user_id = ?",
          teamId,
          actor.id,
        );
        expect(member).toBe(cell.allowed ? "viewer" : null);
      },
    };
  },
  "POST /v1/invitations/accept [invitation to someone else]": async (cell) => {
    const { email, token } = await strangersInvitation();
    return {
      method: "POST",
      path: "/v1/invitations/accept",
      body: { token },
      codes: { 400: "invalid_token" },
      after: async () => {
        expect(await invitationAccepted(email)).toBeNull();
        if (cell.actor) expect(await roleInT(cell.actor.id)).toBe(roleBefore(cell.actor));
      },
    };
  },
  "GET /v1/teams/{id}/members": () => ({
    method: "GET",
    path: `/v1/teams/${world().teamId}/members`,
    after: async (response) => {
      if (!response.ok) return;
      const members = (await json<{ data: { userId: string; role: string }[] }>(response)).data;
      const { owner, admin, member, viewer } = world();
      expect(members).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ userId: owner.id, role: "owner" }),
          expect.objectContaining({ userId: admin.id, role: "admin" }),
          expect.objectContaining({ userId: member.id, role: "member" }),
          expect.objectContaining({ userId: viewer.id, role: "viewer" }),
        ]),
      );
    },
  }),
  "PATCH /v1/teams/{id}/members/{userId} [viewer to member]": changeRole("member"),
  "PATCH /v1/teams/{id}/members/{userId} [viewer to owner]": changeRole("owner"),
  "DELETE /v1/teams/{id}/members/{userId} [a viewer]": removeMember("viewer"),
  "DELETE /v1/teams/{id}/members/{userId} [an owner]": removeMember("owner"),
  "DELETE /v1/teams/{id}/members/{userId} [the caller themself]": async (cell) => {
    // Members leave as a stand-in (a new user with the same role; the owner's is a co-owner, as
    // the last owner cannot leave); refused callers name their own user.
    const caller = await callerFor(cell, cell.allowed);
    const leaver = caller.actor ?? world().owner;
    return {
      method: "DELETE",
      path: `/v1/teams/${world().teamId}/members/${leaver.id}`,
      credential: caller.credential,
      after: async () => {
        expect(await roleInT(leaver.id)).toBe(cell.allowed ? null : roleBefore(leaver));
      },
    };
  },
  "GET /v1/teams/{id}/audit-log": () => ({
    method: "GET",
    path: `/v1/teams/${world().teamId}/audit-log`,
    after: async (response) => {
      if (!response.ok) return;
      const events = (await json<{ data: { teamId: string | null }[] }>(response)).data;
      expect(events.length).toBeGreaterThan(0);
      expect(events.every((event) => event.teamId === world().teamId)).toBe(true);
    },
  }),
});

describe("after the matrix", () => {
  it("the invitation nobody else could use is still good for its invitee", async () => {
    const { email, token } = await strangersInvitation();
    const invitee = await registerUser({ email });
    const accepted = await api("POST", "/v1/invitations/accept", { token: invitee.token, body: { token } });
    expect(accepted.status).toBe(200);
    expect(await json(accepted)).toMatchObject({ id: world().teamId, role: "viewer" });
  });

  it("T still has its four members in their roles", async () => {
    const { results } = await env.DB.prepare("SELECT user_id, role FROM team_members WHERE team_id = ?")
      .bind(world().teamId)
      .all<{ user_id: string; role: string }>();
    const { owner, admin, member, viewer } = world();
    expect(results).toEqual(
      expect.arrayContaining([
        { user_id: owner.id, role: "owner" },
        { user_id: admin.id, role: "admin" },
        { user_id: member.id, role: "member" },
        { user_id: viewer.id, role: "viewer" },
      ]),
    );
  });
});
