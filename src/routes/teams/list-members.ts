import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionWithTeamAction } from "../../auth/access";
import { database } from "../../db/client";
import { decodeCursor, toPage } from "../../db/cursor";
import { listMembersPage } from "../../db/teams";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";
import { teamIdParams, teamRoleSchema } from "./team-view";

export const memberSchema = z
  .object({
    userId: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    role: teamRoleSchema,
    joinedAt: z.iso.datetime(),
  })
  .meta({ id: "TeamMember" });

export const listTeamMembers = defineEndpoint({
  access: sessionWithTeamAction("view"),
  route: createRoute({
    method: "get",
    operationId: "listTeamMembers",
    path: "/v1/teams/{id}/members",
    tags: ["teams"],
    summary: "The team's members and their roles, newest first",
    request: { params: teamIdParams, query: paginationQuerySchema },
    responses: {
      200: jsonResponse(
        "A page of members",
        z.object({ data: z.array(memberSchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const { id } = c.req.valid("param");
    await authorizeTeam(c, id);
    const { limit, cursor } = c.req.valid("query");
    const rows = await listMembersPage(database(c.env.DB), id, { limit: limit + 1, after: decodeCursor(cursor) });
    const page = toPage(rows, limit);
    const data = page.rows.map((member) => ({
      userId: member.userId,
      email: member.email,
      name: member.name,
      role: member.role,
      joinedAt: member.joinedAt.toISOString(),
    }));
    return c.json({ data, nextCursor: page.nextCursor }, 200);
  },
});
