import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionWithTeamAction } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { cancelInvitation as cancelInvitationRow } from "../../db/invitations";
import { ApiError } from "../../errors";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";

export const invitationParams = z.strictObject({ id: z.string().max(100), invitationId: z.string().max(100) });

export const cancelTeamInvitation = defineEndpoint({
  access: sessionWithTeamAction("invite"),
  route: createRoute({
    method: "delete",
    operationId: "cancelTeamInvitation",
    path: "/v1/teams/{id}/invitations/{invitationId}",
    tags: ["teams"],
    summary: "Cancel a pending invitation: its link dies at once (invite)",
    request: { params: invitationParams },
    responses: {
      204: { description: "Cancelled" },
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found: no pending invitation by that id in this team (another team's included)"),
    },
  }),
  handler: async (c) => {
    const { id, invitationId } = c.req.valid("param");
    await authorizeTeam(c, id);
    const principal = principalOf(c);
    const cancelled = await cancelInvitationRow(database(c.env.DB), id, invitationId, new Date(), {
      context: auditContext(c),
      event: { type: "team.invitation_cancelled", userId: principal.userId, teamId: id, metadata: { invitationId } },
    });
    if (!cancelled) throw new ApiError("not_found");
    return c.body(null, 204);
  },
});
