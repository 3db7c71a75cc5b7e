import { createRoute } from "@hono/zod-openapi";
import { sessionWithTeamAction } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { findMemberRole, removeMember } from "../../db/teams";
import { mayManageMember } from "../../domain/permissions";
import { ApiError } from "../../errors";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { memberParams } from "./patch-member";

export const deleteTeamMember = defineEndpoint({
  access: sessionWithTeamAction("invite"),
  route: createRoute({
    method: "delete",
    operationId: "removeTeamMember",
    path: "/v1/teams/{id}/members/{userId}",
    tags: ["teams"],
    summary: "Remove a member (owner; admin for non-owners), or leave the team (your own user id)",
    request: { params: memberParams },
    responses: {
      204: { description: "Removed" },
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
      409: problemResponse("conflict: the team would have no owner"),
    },
  }),
  handler: async (c) => {
    const { id, userId } = c.req.valid("param");
    const callerId = principalOf(c).userId;
    const leaving = userId === callerId;
    // Leaving needs only membership; removing someone else needs the membership permission.
    const actorRole = await authorizeTeam(c, id, leaving ? "view" : undefined);
    const db = database(c.env.DB);
    const targetRole = await findMemberRole(db, id, userId);
    if (!targetRole) throw new ApiError("not_found");
    if (!leaving && !mayManageMember(actorRole, targetRole, null)) {
      throw new ApiError("forbidden", { detail: "Only an owner can remove an owner." });
    }
    const outcome = await removeMember(db, id, userId);
    if (outcome === "not_found") throw new ApiError("not_found");
    if (outcome === "last_owner") throw new ApiError("conflict", { detail: "A team must keep at least one owner." });
    await recordAuditEvent(db, auditContext(c), {
      type: "team.member_removed",
      userId: callerId,
      teamId: id,
      metadata: { memberId: userId, role: targetRole, left: leaving },
    });
    return c.body(null, 204);
  },
});
