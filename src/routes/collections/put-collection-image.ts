import { createRoute } from "@hono/zod-openapi";
import { sessionOrKey } from "../../auth/access";
import { database } from "../../db/client";
import { addImageToCollection } from "../../db/collections";
import { defineEndpoint } from "../endpoint";
import { collectionAndImage, collectionImageParams, collectionImageResponses } from "./collection-and-image";

export const putCollectionImage = defineEndpoint({
  access: sessionOrKey("manage", "edit"),
  route: createRoute({
    method: "put",
    operationId: "addCollectionImage",
    path: "/v1/collections/{id}/images/{imageId}",
    tags: ["collections"],
    summary: "Add an image to a collection (idempotent)",
    request: { params: collectionImageParams },
    responses: collectionImageResponses,
  }),
  handler: async (c) => {
    const { id, imageId } = c.req.valid("param");
    const { collection, image } = await collectionAndImage(c, id, imageId);
    await addImageToCollection(database(c.env.DB), collection.id, image.id);
    return c.body(null, 204);
  },
});
