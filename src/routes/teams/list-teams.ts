import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { principalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { decodeCursor, encodeCursor } from "../../db/cursor";
import { listTeamsOfUser } from "../../db/teams";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";
import { teamSchema, teamView } from "./team-view";

export const listTeams = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    operationId: "listTeams",
    path: "/v1/teams",
    tags: ["teams"],
    summary: "The teams the caller belongs to, with their role",
    request: { query: paginationQuerySchema },
    responses: {
      200: jsonResponse("A page of teams", z.object({ data: z.array(teamSchema), nextCursor: z.string().nullable() })),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
    },
  }),
  handler: async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listTeamsOfUser(database(c.env.DB), principalOf(c).userId, {
      limit: limit + 1,
      ...(cursor ? { after: decodeCursor(cursor) } : {}),
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      {
        data: page.map((row) => teamView(row.team, row.role)),
        nextCursor: rows.length > limit && last ? encodeCursor(last.team) : null,
      },
      200,
    );
  },
});
