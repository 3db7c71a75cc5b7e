import { createRoute } from "@hono/zod-openapi";
import { sessionOrKey } from "../../auth/access";
import { database } from "../../db/client";
import { removeImageFromCollection } from "../../db/collections";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { collectionAndImage, collectionImageParams, collectionImageResponses } from "./collection-and-image";

export const deleteCollectionImage = defineEndpoint({
  access: sessionOrKey("manage", "edit"),
  route: createRoute({
    method: "delete",
    operationId: "removeCollectionImage",
    path: "/v1/collections/{id}/images/{imageId}",
    tags: ["collections"],
    summary: "Remove an image from a collection",
    request: { params: collectionImageParams },
    responses: collectionImageResponses,
  }),
  handler: async (c) => {
    const { id, imageId } = c.req.valid("param");
    const { collection, image } = await collectionAndImage(c, id, imageId);
    if (!(await removeImageFromCollection(database(c.env.DB), collection.id, image.id))) {
      throw new ApiError("not_found");
    }
    return c.body(null, 204);
  },
});
