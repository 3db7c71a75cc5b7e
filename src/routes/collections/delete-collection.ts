import { createRoute } from "@hono/zod-openapi";
import { sessionOrKey } from "../../auth/access";
import { database } from "../../db/client";
import { deleteCollection } from "../../db/collections";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { authorizedCollection } from "./authorized-collection";
import { collectionIdParams } from "./collection-view";

export const deleteCollectionEndpoint = defineEndpoint({
  access: sessionOrKey("manage", "edit"),
  route: createRoute({
    method: "delete",
    operationId: "deleteCollection",
    path: "/v1/collections/{id}",
    tags: ["collections"],
    summary: "Delete a collection (its images stay)",
    request: { params: collectionIdParams },
    responses: {
      204: { description: "Deleted" },
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const collection = await authorizedCollection(c, c.req.valid("param").id);
    await deleteCollection(db, collection.id);
    return c.body(null, 204);
  },
});
