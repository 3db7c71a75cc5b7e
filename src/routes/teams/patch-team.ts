import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionWithTeamAction } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { updateTeam } from "../../db/teams";
import { ApiError } from "../../errors";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../schemas";
import { teamDescriptionSchema, teamIdParams, teamNameSchema, teamSchema, teamView } from "./team-view";

export const patchTeamBodySchema = z.strictObject({
  name: teamNameSchema.optional(),
  description: teamDescriptionSchema.nullable().optional(),
});

export const patchTeam = defineEndpoint({
  access: sessionWithTeamAction("manage_settings"),
  route: createRoute({
    method: "patch",
    operationId: "updateTeam",
    path: "/v1/teams/{id}",
    tags: ["teams"],
    summary: "Change a team's settings (owner, admin)",
    request: { params: teamIdParams, body: jsonBody(patchTeamBodySchema) },
    responses: {
      200: jsonResponse("The team", teamSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const { id } = c.req.valid("param");
    const role = await authorizeTeam(c, id);
    const changes = c.req.valid("json");
    const db = database(c.env.DB);
    const team = await updateTeam(
      db,
      id,
      changes,
      auditEventInsert(db, auditContext(c), {
        type: "team.updated",
        userId: principalOf(c).userId,
        teamId: id,
        metadata: { fields: Object.keys(changes) },
      }),
    );
    if (!team) throw new ApiError("not_found");
    return c.json(teamView(team, role), 200);
  },
});
