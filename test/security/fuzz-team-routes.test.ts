// Property fuzzing of the team routes (issue 9 item 2): teams, invitations, members, team audit log.
// OWASP API Security Top 10 2023: API8 (security misconfiguration: no 5xx, no stack trace or SQL
// in errors), API3 (broken object property level authorization: unknown fields refused, roles
// only from the allowlist), API1 and API5 (hostile and foreign team, member and invitation ids
// find nothing and grant nothing), API4 (oversized and deeply nested bodies refused).
// ASVS 5.0: V1.2 (injection prevention: SQL, markup and template text stored inertly), V1.3
// (sanitization), V1.5 (safe deserialization: deep nesting, prototype keys), V2.2 (input
// validation: type, length, format, allowlists), V4.1 (web service: JSON media type and body
// size only), V16.5 (error handling: generic messages, no internals), V8.2 (authorization
// design: a hostile role or id never escalates).
import fc from "fast-check";
import { beforeAll, expect } from "vitest";
import { api, type RegisteredUser, registerUser, uniqueEmail } from "../helpers/api";
import { createTeam } from "../helpers/fixtures";
import {
  type CheckContext,
  describeFuzz,
  echoed,
  emailNormalised,
  fuzzUser,
  readBack,
  trimmed,
  unlessFuzzed,
} from "../helpers/fuzz";
import { tokenFromMail, waitForMail } from "../helpers/outbox";
import { addMember } from "../helpers/teams";

let owner: RegisteredUser;
let invitee: RegisteredUser;
let stranger: RegisteredUser;
/** Read-only fuzzing and invitations; role changes; member removal. */
let teamId: string;
let rolesTeamId: string;
let removalTeamId: string;
let member: RegisteredUser;
let foreignTeamId: string;
let invitationToken: string;
let foreignInvitationId: string;
let cursors: { teams: string; audit: string };

async function nextCursor(path: string): Promise<string> {
  const response = await api("GET", path, { token: owner.token });
  const { nextCursor: cursor } = (await response.json()) as { nextCursor: string | null };
  expect(cursor, path).toBeTruthy();
  return cursor as string;
}

beforeAll(async () => {
  [owner, invitee, stranger, member] = await Promise.all([fuzzUser(), fuzzUser(), fuzzUser(), registerUser()]);
  const teams = await Promise.all([
    createTeam(owner.token),
    createTeam(owner.token),
    createTeam(owner.token),
    createTeam(stranger.token),
  ]);
  [teamId, rolesTeamId, removalTeamId, foreignTeamId] = [teams[0].id, teams[1].id, teams[2].id, teams[3].id];
  await addMember(owner, rolesTeamId, member, "member");
  const invited = await api("POST", `/v1/teams/${teamId}/invitations`, {
    token: owner.token,
    body: { email: invitee.email, role: "viewer" },
  });
  expect(invited.status).toBe(201);
  invitationToken = tokenFromMail(await waitForMail(invitee.email, /invited/i));
  const foreign = await api("POST", `/v1/teams/${foreignTeamId}/invitations`, {
    token: stranger.token,
    body: { email: uniqueEmail("foreign-invitee"), role: "viewer" },
  });
  expect(foreign.status).toBe(201);
  foreignInvitationId = ((await foreign.json()) as { id: string }).id;
  cursors = {
    teams: await nextCursor("/v1/teams?limit=1"),
    audit: await nextCursor(`/v1/teams/${teamId}/audit-log?limit=1`),
  };
});

const teamIds = () => fc.constantFrom(teamId, foreignTeamId, `${teamId}x`);
const userIds = () => fc.constantFrom(member.id, owner.id, stranger.id);

const team = async (context: CheckContext, id: string) => readBack(context, `/v1/teams/${id}`, owner.token);

async function memberRole(context: CheckContext, id: string, userId: string) {
  const { data } = (await readBack(context, `/v1/teams/${id}/members`, owner.token)) as {
    data: { userId: string; role: string }[];
  };
  return data.find((entry) => entry.userId === userId)?.role;
}

/** A member of the removal team, so that every removal payload has someone to remove. */
async function removableMember(): Promise<string> {
  const user = await registerUser();
  await addMember(owner, removalTeamId, user, "viewer");
  return user.id;
}

describeFuzz("team", {
  "POST /v1/teams": {
    base: () => ({ token: owner.token, body: { name: "Studio", description: "A team" } }),
    stored: {
      name: echoed((json) => json.name, {
        normalise: trimmed,
        again: async (json, context) => (await team(context, json.id as string)).name,
      }),
      description: echoed((json) => json.description, {
        normalise: trimmed,
        again: async (json, context) => (await team(context, json.id as string)).description,
      }),
    },
  },
  "GET /v1/teams": {
    base: () => ({ token: owner.token, query: { limit: "1" } }),
    values: { cursor: () => fc.constant(cursors.teams) },
  },
  "GET /v1/teams/{id}": {
    base: () => ({ token: owner.token, params: { id: teamId } }),
    values: { id: teamIds },
  },
  "PATCH /v1/teams/{id}": {
    base: () => ({
      token: owner.token,
      params: { id: teamId },
      body: { name: "Renamed", description: "Still a team" },
    }),
    values: { id: teamIds },
    stored: {
      name: echoed((json) => json.name, {
        normalise: trimmed,
        again: async (json, context) => (await team(context, json.id as string)).name,
      }),
      description: echoed((json) => json.description, {
        normalise: trimmed,
        again: async (json, context) => (await team(context, json.id as string)).description,
      }),
    },
  },
  "DELETE /v1/teams/{id}": {
    runs: 4,
    base: async (input) => ({
      token: owner.token,
      params: { id: await unlessFuzzed(input, "id", async () => (await createTeam(owner.token)).id) },
    }),
    values: { id: () => fc.constant(foreignTeamId) },
  },
  "POST /v1/teams/{id}/invitations": {
    base: () => ({
      token: owner.token,
      params: { id: teamId },
      body: { email: uniqueEmail("invitee"), role: "member" },
    }),
    values: { id: teamIds },
    stored: {
      email: echoed((json) => json.email, { normalise: emailNormalised }),
      role: echoed((json) => json.role),
    },
  },
  "GET /v1/teams/{id}/invitations": {
    base: () => ({ token: owner.token, params: { id: teamId }, query: { limit: "2" } }),
    values: { id: teamIds },
  },
  "DELETE /v1/teams/{id}/invitations/{invitationId}": {
    // Only ids that are not this team's: every payload answers 404 and cancels nothing.
    base: () => ({ token: owner.token, params: { id: teamId, invitationId: foreignInvitationId } }),
    values: { id: teamIds, invitationId: () => fc.constantFrom(foreignInvitationId, "inv_unknown") },
  },
  "POST /v1/invitations/accept": {
    base: () => ({ token: invitee.token, body: { token: "not-an-invitation-token" } }),
    values: { token: () => fc.constant(invitationToken) },
  },
  "GET /v1/teams/{id}/members": {
    base: () => ({ token: owner.token, params: { id: teamId } }),
    values: { id: teamIds },
  },
  "PATCH /v1/teams/{id}/members/{userId}": {
    base: () => ({ token: owner.token, params: { id: rolesTeamId, userId: member.id }, body: { role: "member" } }),
    values: { id: () => fc.constantFrom(rolesTeamId, foreignTeamId), userId: userIds },
    stored: {
      role: echoed((json) => json.role, {
        again: (json, context) => memberRole(context, rolesTeamId, json.userId as string),
      }),
    },
  },
  "DELETE /v1/teams/{id}/members/{userId}": {
    runs: 4,
    base: async (input) => ({
      token: owner.token,
      params: {
        id: removalTeamId,
        userId: input?.location === "path" ? member.id : await unlessFuzzed(input, "userId", removableMember),
      },
    }),
    values: { id: () => fc.constantFrom(removalTeamId, foreignTeamId), userId: userIds },
  },
  "GET /v1/teams/{id}/audit-log": {
    base: () => ({ token: owner.token, params: { id: teamId }, query: { limit: "2" } }),
    values: { id: teamIds, cursor: () => fc.constant(cursors.audit) },
  },
});
