import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionWithTeamAction } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { decodeCursor, toPage } from "../../db/cursor";
import { listPendingInvitations } from "../../db/invitations";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";
import { invitationSchema } from "./create-invitation";
import { teamIdParams } from "./team-view";

export const listTeamInvitations = defineEndpoint({
  access: sessionWithTeamAction("invite"),
  route: createRoute({
    method: "get",
    operationId: "listTeamInvitations",
    path: "/v1/teams/{id}/invitations",
    tags: ["teams"],
    summary: "The team's pending invitations (not accepted, cancelled, replaced or expired), newest first (invite)",
    request: { params: teamIdParams, query: paginationQuerySchema },
    responses: {
      200: jsonResponse(
        "A page of pending invitations (never their tokens)",
        z.object({ data: z.array(invitationSchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const { id } = c.req.valid("param");
    await authorizeTeam(c, id);
    const { limit, cursor } = c.req.valid("query");
    const db = database(c.env.DB);
    const rows = await listPendingInvitations(db, id, new Date(), { limit: limit + 1, after: decodeCursor(cursor) });
    const page = toPage(rows, limit);
    // Who looked at the list of addresses invited (they are personal data of people outside the team).
    await recordAuditEvent(db, auditContext(c), {
      type: "team.invitations_listed",
      userId: principalOf(c).userId,
      teamId: id,
      metadata: { count: page.rows.length },
    });
    return c.json(
      {
        data: page.rows.map((row) => ({
          ...row,
          createdAt: row.createdAt.toISOString(),
          expiresAt: row.expiresAt.toISOString(),
        })),
        nextCursor: page.nextCursor,
      },
      200,
    );
  },
});
