import { createRoute } from "@hono/zod-openapi";
import { sessionWithTeamAction } from "../../auth/access";
import { listAuditEvents } from "../../db/audit";
import { database } from "../../db/client";
import { decodeCursor, toPage } from "../../db/cursor";
import { auditPageSchema, auditQuerySchema, teamAuditEventView } from "../audit/audit-view";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";
import { teamIdParams } from "./team-view";

export const teamAuditLog = defineEndpoint({
  // Owners and admins: the roles that hold `manage_settings`.
  access: sessionWithTeamAction("manage_settings"),
  route: createRoute({
    method: "get",
    operationId: "listTeamAuditLog",
    path: "/v1/teams/{id}/audit-log",
    tags: ["teams"],
    summary: "The team's security events, newest first (owner, admin); members' IPs are shown to owners only",
    request: { params: teamIdParams, query: auditQuerySchema },
    responses: {
      200: jsonResponse("A page of events", auditPageSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const { id } = c.req.valid("param");
    const role = await authorizeTeam(c, id);
    const { limit, cursor, type } = c.req.valid("query");
    const rows = await listAuditEvents(database(c.env.DB), {
      owner: { teamId: id },
      type,
      limit: limit + 1,
      after: decodeCursor(cursor),
    });
    const page = toPage(rows, limit);
    return c.json({ data: page.rows.map(teamAuditEventView(role)), nextCursor: page.nextCursor }, 200);
  },
});
