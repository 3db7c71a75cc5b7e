import { createRoute } from "@hono/zod-openapi";
import { sessionWithTeamAction } from "../../auth/access";
import { database } from "../../db/client";
import { findTeam } from "../../db/teams";
import { ApiError } from "../../errors";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";
import { teamIdParams, teamSchema, teamView } from "./team-view";

export const getTeam = defineEndpoint({
  access: sessionWithTeamAction("view"),
  route: createRoute({
    method: "get",
    operationId: "getTeam",
    path: "/v1/teams/{id}",
    tags: ["teams"],
    summary: "A team the caller belongs to",
    request: { params: teamIdParams },
    responses: {
      200: jsonResponse("The team", teamSchema),
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found (also a team the caller is not in)"),
    },
  }),
  handler: async (c) => {
    const { id } = c.req.valid("param");
    const role = await authorizeTeam(c, id);
    const team = await findTeam(database(c.env.DB), id);
    if (!team) throw new ApiError("not_found");
    return c.json(teamView(team, role), 200);
  },
});
