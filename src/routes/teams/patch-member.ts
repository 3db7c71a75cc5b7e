import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionWithTeamAction } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { changeMemberRole, findMemberRole, listMembers } from "../../db/teams";
import { mayManageMember } from "../../domain/permissions";
import { ApiError } from "../../errors";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../schemas";
import { memberSchema } from "./list-members";
import { teamRoleSchema } from "./team-view";

export const memberParams = z.strictObject({ id: z.string().max(100), userId: z.string().max(100) });

export const patchTeamMember = defineEndpoint({
  access: sessionWithTeamAction("invite"),
  route: createRoute({
    method: "patch",
    operationId: "updateTeamMember",
    path: "/v1/teams/{id}/members/{userId}",
    tags: ["teams"],
    summary: "Change a member's role (owner; admin for non-owners). The last owner cannot be demoted.",
    request: { params: memberParams, body: jsonBody(z.strictObject({ role: teamRoleSchema })) },
    responses: {
      200: jsonResponse("The member", memberSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
      409: problemResponse("conflict: the team would have no owner"),
    },
  }),
  handler: async (c) => {
    const { id, userId } = c.req.valid("param");
    const { role } = c.req.valid("json");
    const actorRole = await authorizeTeam(c, id);
    const db = database(c.env.DB);
    const targetRole = await findMemberRole(db, id, userId);
    if (!targetRole) throw new ApiError("not_found");
    if (!mayManageMember(actorRole, targetRole, role)) {
      throw new ApiError("forbidden", { detail: "Only an owner can make or change an owner." });
    }
    const outcome = await changeMemberRole(db, id, userId, role);
    if (outcome === "not_found") throw new ApiError("not_found");
    if (outcome === "last_owner") throw new ApiError("conflict", { detail: "A team must keep at least one owner." });
    await recordAuditEvent(db, auditContext(c), {
      type: "team.member_role_changed",
      userId: principalOf(c).userId,
      teamId: id,
      metadata: { memberId: userId, from: targetRole, to: role },
    });
    const member = (await listMembers(db, id)).find((row) => row.userId === userId);
    if (!member) throw new ApiError("not_found");
    return c.json({ ...member, joinedAt: member.joinedAt.toISOString() }, 200);
  },
});
