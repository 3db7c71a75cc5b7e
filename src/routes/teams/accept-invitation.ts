import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { sha256Hex } from "../../crypto/hash";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { acceptInvitation as acceptInvitationRow, findMemberRole, findTeam } from "../../db/teams";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../schemas";
import { teamSchema, teamView } from "./team-view";

export const acceptInvitation = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "acceptTeamInvitation",
    path: "/v1/invitations/accept",
    tags: ["teams"],
    summary: "Join a team with an invitation token sent to the caller's email",
    request: { body: jsonBody(z.strictObject({ token: z.string().min(1).max(200) })) },
    responses: {
      200: jsonResponse("The team joined", teamSchema),
      400: problemResponse("validation_failed, or invalid_token (unknown, used, expired, or for another email)"),
      401: problemResponse("unauthorized"),
      403: problemResponse("email_unverified"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const user = await findUserById(db, principalOf(c).userId);
    if (!user) throw new ApiError("unauthorized");
    // Acceptance compares addresses: only an account that proved its address may claim an
    // invitation sent to it (else whoever registered the address first would join the team).
    if (!user.emailVerified) throw new ApiError("email_unverified");
    const tokenHash = await sha256Hex(c.req.valid("json").token);
    const accepted = await acceptInvitationRow(db, tokenHash, { id: user.id, email: user.email }, new Date());
    if (!accepted) throw new ApiError("invalid_token");
    const [team, role] = await Promise.all([
      findTeam(db, accepted.teamId),
      findMemberRole(db, accepted.teamId, user.id),
    ]);
    if (!team || !role) throw new ApiError("invalid_token");
    await recordAuditEvent(db, auditContext(c), {
      type: "team.member_joined",
      userId: user.id,
      teamId: team.id,
      metadata: { role },
    });
    return c.json(teamView(team, role), 200);
  },
});
