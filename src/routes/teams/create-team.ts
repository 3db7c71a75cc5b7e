import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { newId } from "../../crypto/random";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { createTeamWithOwner } from "../../db/teams";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../schemas";
import { teamDescriptionSchema, teamNameSchema, teamSchema, teamView } from "./team-view";

export const createTeamBodySchema = z.strictObject({
  name: teamNameSchema,
  description: teamDescriptionSchema.optional(),
});

export const createTeam = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "createTeam",
    path: "/v1/teams",
    tags: ["teams"],
    summary: "Create a team; the caller is its owner",
    request: { body: jsonBody(createTeamBodySchema) },
    responses: {
      201: jsonResponse("The team", teamSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
    },
  }),
  handler: async (c) => {
    const { name, description } = c.req.valid("json");
    const principal = principalOf(c);
    const now = new Date();
    const team = { id: newId("team"), name, description: description ?? null, createdAt: now, updatedAt: now };
    const db = database(c.env.DB);
    await createTeamWithOwner(
      db,
      team,
      principal.userId,
      auditEventInsert(db, auditContext(c), { type: "team.created", userId: principal.userId, teamId: team.id }),
    );
    return c.json(teamView(team, "owner"), 201);
  },
});
