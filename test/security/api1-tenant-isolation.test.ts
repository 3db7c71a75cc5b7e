// OWASP API1:2023 broken object level authorisation; ASVS 5.0 V8.2.2 (object level access), V8.4.1
// (tenant isolation). Another tenant's ids answer 404 on every object route and change nothing.
import { beforeAll, describe, expect, it } from "vitest";
import { api, env, expectProblem, type RegisteredUser, registerUser } from "../helpers/api";
import { createCollection, createImage, createTeam } from "../helpers/fixtures";
import { decodeToken } from "../helpers/tokens";

/**
 * The IDOR matrix: user A (with team TA) and user B (owner of another team, TB). For every
 * id-bearing route, B gets 404 for A's objects, never 403 and never 200, and nothing changes.
 */
let alice: RegisteredUser;
let bob: RegisteredUser;
let ids: {
  image: string;
  teamImage: string;
  collection: string;
  teamCollection: string;
  team: string;
  bobTeam: string;
  bobImage: string;
};

beforeAll(async () => {
  [alice, bob] = await Promise.all([registerUser(), registerUser()]);
  const team = await createTeam(alice.token, "Alice's studio");
  const bobTeam = await createTeam(bob.token, "Bob's studio");
  ids = {
    image: (await createImage(alice.token)).id,
    teamImage: (await createImage(alice.token, { teamId: team.id })).id,
    collection: (await createCollection(alice.token)).id,
    teamCollection: (await createCollection(alice.token, { teamId: team.id })).id,
    team: team.id,
    bobTeam: bobTeam.id,
    bobImage: (await createImage(bob.token)).id,
  };
});

type Probe = { method: string; path: () => string; body?: () => unknown };

const probes: Record<string, Probe> = {
  "GET image": { method: "GET", path: () => `/v1/images/${ids.image}` },
  "GET team image": { method: "GET", path: () => `/v1/images/${ids.teamImage}` },
  "GET image content": { method: "GET", path: () => `/v1/images/${ids.image}/content` },
  "GET team image content": { method: "GET", path: () => `/v1/images/${ids.teamImage}/content` },
  "PATCH image": { method: "PATCH", path: () => `/v1/images/${ids.image}`, body: () => ({ title: "pwned" }) },
  "PATCH team image": { method: "PATCH", path: () => `/v1/images/${ids.teamImage}`, body: () => ({ title: "pwned" }) },
  "DELETE image": { method: "DELETE", path: () => `/v1/images/${ids.image}` },
  "DELETE team image": { method: "DELETE", path: () => `/v1/images/${ids.teamImage}` },
  "restore image": { method: "POST", path: () => `/v1/images/${ids.image}/restore` },
  "GET comments": { method: "GET", path: () => `/v1/images/${ids.image}/comments` },
  "POST comment": { method: "POST", path: () => `/v1/images/${ids.teamImage}/comments`, body: () => ({ body: "hi" }) },
  "list a team's images": { method: "GET", path: () => `/v1/images?teamId=${ids.team}` },
  "generate into a team": {
    method: "POST",
    path: () => "/v1/images/generations",
    body: () => ({ prompt: "x", size: "256x256", teamId: ids.team }),
  },
  "GET collection": { method: "GET", path: () => `/v1/collections/${ids.collection}` },
  "GET team collection": { method: "GET", path: () => `/v1/collections/${ids.teamCollection}` },
  "PATCH collection": { method: "PATCH", path: () => `/v1/collections/${ids.collection}`, body: () => ({ name: "x" }) },
  "DELETE collection": { method: "DELETE", path: () => `/v1/collections/${ids.teamCollection}` },
  "add my image to their collection": {
    method: "PUT",
    path: () => `/v1/collections/${ids.collection}/images/${ids.bobImage}`,
  },
  "add their image to their collection": {
    method: "PUT",
    path: () => `/v1/collections/${ids.collection}/images/${ids.image}`,
  },
  "remove their image": { method: "DELETE", path: () => `/v1/collections/${ids.collection}/images/${ids.image}` },
  "list a team's collections": { method: "GET", path: () => `/v1/collections?teamId=${ids.team}` },
  "create a collection in a team": {
    method: "POST",
    path: () => "/v1/collections",
    body: () => ({ name: "x", teamId: ids.team }),
  },
  "GET team": { method: "GET", path: () => `/v1/teams/${ids.team}` },
  "PATCH team": { method: "PATCH", path: () => `/v1/teams/${ids.team}`, body: () => ({ name: "pwned" }) },
  "DELETE team": { method: "DELETE", path: () => `/v1/teams/${ids.team}` },
  "invite into team": {
    method: "POST",
    path: () => `/v1/teams/${ids.team}/invitations`,
    body: () => ({ email: "mallory@example.com", role: "owner" }),
  },
  "list members": { method: "GET", path: () => `/v1/teams/${ids.team}/members` },
  "list pending invitations": { method: "GET", path: () => `/v1/teams/${ids.team}/invitations` },
  "cancel an invitation": { method: "DELETE", path: () => `/v1/teams/${ids.team}/invitations/inv_anything` },
  "promote self": {
    method: "PATCH",
    path: () => `/v1/teams/${ids.team}/members/${bob.id}`,
    body: () => ({ role: "owner" }),
  },
  "change a member": {
    method: "PATCH",
    path: () => `/v1/teams/${ids.team}/members/${alice.id}`,
    body: () => ({ role: "viewer" }),
  },
  "remove a member": { method: "DELETE", path: () => `/v1/teams/${ids.team}/members/${alice.id}` },
  "revoke a session": {
    method: "DELETE",
    path: () => `/v1/sessions/${decodeToken(alice.token).payload.sid}`,
  },
};

describe("another tenant's ids", () => {
  for (const [label, probe] of Object.entries(probes)) {
    it(`${label}: 404 not_found`, async () => {
      const response = await api(probe.method, probe.path(), { token: bob.token, body: probe.body?.() });
      await expectProblem(response, 404, "not_found");
    });
  }

  it("changed nothing of Alice's", async () => {
    for (const id of [ids.image, ids.teamImage]) {
      const response = await api("GET", `/v1/images/${id}`, { token: alice.token });
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({ title: null });
    }
    const team = await api("GET", `/v1/teams/${ids.team}`, { token: alice.token });
    expect(await team.json()).toMatchObject({ name: "Alice's studio", role: "owner" });
    const collection = await api("GET", `/v1/collections/${ids.collection}`, { token: alice.token });
    expect(await collection.json()).toMatchObject({ name: "Favourites", imageIds: [] });
    const members = await env.DB.prepare("SELECT user_id, role FROM team_members WHERE team_id = ?")
      .bind(ids.team)
      .all();
    expect(members.results).toEqual([{ user_id: alice.id, role: "owner" }]);
    expect((await api("GET", "/v1/me", { token: alice.token })).status).toBe(200);
  });

  it("lists show only the caller's own objects", async () => {
    const images = (await (await api("GET", "/v1/images", { token: bob.token })).json()) as { data: { id: string }[] };
    expect(images.data.map((image) => image.id)).toEqual([ids.bobImage]);
    const teams = (await (await api("GET", "/v1/teams", { token: bob.token })).json()) as { data: { id: string }[] };
    expect(teams.data.map((team) => team.id)).toEqual([ids.bobTeam]);
    const collections = (await (await api("GET", "/v1/collections", { token: bob.token })).json()) as {
      data: unknown[];
    };
    expect(collections.data).toEqual([]);
  });
});
