import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOrKey } from "../../auth/access";
import { database } from "../../db/client";
import { renameCollection } from "../../db/collections";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../schemas";
import { authorizedCollection } from "./authorized-collection";
import { collectionIdParams, collectionNameSchema, collectionSchema, collectionView } from "./collection-view";

export const patchCollection = defineEndpoint({
  access: sessionOrKey("manage", "edit"),
  route: createRoute({
    method: "patch",
    operationId: "updateCollection",
    path: "/v1/collections/{id}",
    tags: ["collections"],
    summary: "Rename a collection",
    request: { params: collectionIdParams, body: jsonBody(z.strictObject({ name: collectionNameSchema })) },
    responses: {
      200: jsonResponse("The collection", collectionSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const collection = await authorizedCollection(c, c.req.valid("param").id);
    const renamed = await renameCollection(db, collection.id, c.req.valid("json").name);
    if (!renamed) throw new ApiError("not_found");
    return c.json(collectionView(renamed), 200);
  },
});
