import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionWithTeamAction } from "../../auth/access";
import { database } from "../../db/client";
import { listMembers } from "../../db/teams";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";
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
    path: "/v1/teams/{id}/members",
    tags: ["teams"],
    summary: "The team's members and their roles",
    request: { params: teamIdParams },
    responses: {
      200: jsonResponse("Members", z.object({ data: z.array(memberSchema), nextCursor: z.null() })),
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const { id } = c.req.valid("param");
    await authorizeTeam(c, id);
    const members = await listMembers(database(c.env.DB), id);
    return c.json(
      { data: members.map((member) => ({ ...member, joinedAt: member.joinedAt.toISOString() })), nextCursor: null },
      200,
    );
  },
});
