import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOrKey } from "../../auth/access";
import { principalOf } from "../../auth/principal";
import { newId } from "../../crypto/random";
import { database } from "../../db/client";
import { insertCollection } from "../../db/collections";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../schemas";
import { collectionNameSchema, collectionSchema, collectionView } from "./collection-view";

export const createCollectionBodySchema = z.strictObject({
  name: collectionNameSchema,
  teamId: z.string().max(100).optional(),
});

export const createCollection = defineEndpoint({
  access: sessionOrKey("manage", "edit"),
  route: createRoute({
    method: "post",
    operationId: "createCollection",
    path: "/v1/collections",
    tags: ["collections"],
    summary: "Create a collection (personal, or in a team with the edit permission)",
    request: { body: jsonBody(createCollectionBodySchema) },
    responses: {
      201: jsonResponse("The collection", collectionSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const { name, teamId } = c.req.valid("json");
    if (teamId !== undefined) await authorizeTeam(c, teamId);
    const now = new Date();
    const collection = await insertCollection(database(c.env.DB), {
      id: newId("col"),
      userId: principalOf(c).userId,
      teamId: teamId ?? null,
      name,
      createdAt: now,
      updatedAt: now,
    });
    return c.json(collectionView(collection), 201);
  },
});
