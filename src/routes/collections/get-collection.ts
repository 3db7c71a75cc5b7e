import { createRoute } from "@hono/zod-openapi";
import { sessionOrKey } from "../../auth/access";
import { database } from "../../db/client";
import { listCollectionImageIds } from "../../db/collections";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";
import { authorizedCollection } from "./authorized-collection";
import { collectionIdParams, collectionView, collectionWithImagesSchema } from "./collection-view";

export const getCollection = defineEndpoint({
  access: sessionOrKey("read", "view"),
  route: createRoute({
    method: "get",
    operationId: "getCollection",
    path: "/v1/collections/{id}",
    tags: ["collections"],
    summary: "A collection and the ids of its (live) images",
    request: { params: collectionIdParams },
    responses: {
      200: jsonResponse("The collection", collectionWithImagesSchema),
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const collection = await authorizedCollection(c, c.req.valid("param").id);
    return c.json({ ...collectionView(collection), imageIds: await listCollectionImageIds(db, collection.id) }, 200);
  },
});
