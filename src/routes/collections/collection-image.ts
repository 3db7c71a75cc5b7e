import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as z from "zod";
import { database } from "../../db/client";
import { addImageToCollection, findVisibleCollection, removeImageFromCollection } from "../../db/collections";
import { findVisibleImage } from "../../db/images";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { principalOf } from "../../middleware/authenticate";
import { sessionOrKey } from "../access";
import { authorizeOwner } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";

const params = z.strictObject({ id: z.string().max(100), imageId: z.string().max(100) });

const responses = {
  204: { description: "Done" },
  401: problemResponse("unauthorized"),
  403: problemResponse("forbidden"),
  404: problemResponse("not_found (collection or image)"),
  409: problemResponse("conflict: the image belongs to another owner than the collection"),
};

/** Both objects are looked up through the tenant filter before either is touched. */
async function collectionAndImage(c: Context<AppEnv>, collectionId: string, imageId: string) {
  const db = database(c.env.DB);
  const callerId = principalOf(c).userId;
  const collection = await findVisibleCollection(db, callerId, collectionId);
  if (!collection) throw new ApiError("not_found");
  await authorizeOwner(c, collection);
  const image = await findVisibleImage(db, callerId, imageId);
  if (!image) throw new ApiError("not_found");
  const sameOwner =
    collection.teamId === null
      ? image.teamId === null && image.userId === collection.userId
      : image.teamId === collection.teamId;
  if (!sameOwner) throw new ApiError("conflict", { detail: "A collection holds only images of its own owner." });
  return { collection, image };
}

export const putCollectionImage = defineEndpoint({
  access: sessionOrKey("manage", "edit"),
  route: createRoute({
    method: "put",
    path: "/v1/collections/{id}/images/{imageId}",
    tags: ["collections"],
    summary: "Add an image to a collection (idempotent)",
    request: { params },
    responses,
  }),
  handler: async (c) => {
    const { id, imageId } = c.req.valid("param");
    const { collection, image } = await collectionAndImage(c, id, imageId);
    await addImageToCollection(database(c.env.DB), collection.id, image.id);
    return c.body(null, 204);
  },
});

export const deleteCollectionImage = defineEndpoint({
  access: sessionOrKey("manage", "edit"),
  route: createRoute({
    method: "delete",
    path: "/v1/collections/{id}/images/{imageId}",
    tags: ["collections"],
    summary: "Remove an image from a collection",
    request: { params },
    responses,
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
