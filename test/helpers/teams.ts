import { expect } from "vitest";
import { api, type RegisteredUser, registerUser } from "./api";
import { createTeam } from "./fixtures";
import { tokenFromMail, waitForMail } from "./outbox";

/** Invites `member` with `role` through the API and accepts the mailed token as them. */
export async function addMember(owner: RegisteredUser, teamId: string, member: RegisteredUser, role: string) {
  const invited = await api("POST", `/v1/teams/${teamId}/invitations`, {
    token: owner.token,
    body: { email: member.email, role },
  });
  expect(invited.status).toBe(201);
  const { id: invitationId } = (await invited.json()) as { id: string };
  const mail = await waitForMail(member.email, /invited/i);
  const accepted = await api("POST", "/v1/invitations/accept", {
    token: member.token,
    body: { token: tokenFromMail(mail) },
  });
  expect(accepted.status).toBe(200);
  return invitationId;
}

export interface TeamWithRoles {
  teamId: string;
  owner: RegisteredUser;
  admin: RegisteredUser;
  member: RegisteredUser;
  viewer: RegisteredUser;
}

/** A team with one user in each role. */
export async function teamWithEveryRole(): Promise<TeamWithRoles> {
  const owner = await registerUser();
  const { id: teamId } = await createTeam(owner.token);
  const [admin, member, viewer] = await Promise.all([registerUser(), registerUser(), registerUser()]);
  await addMember(owner, teamId, admin, "admin");
  await addMember(owner, teamId, member, "member");
  await addMember(owner, teamId, viewer, "viewer");
  return { teamId, owner, admin, member, viewer };
}
