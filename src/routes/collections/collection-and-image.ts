import type { Context } from "hono";
import * as z from "zod";
import { database } from "../../db/client";
import { findVisibleCollection } from "../../db/collections";
import { findVisibleImage } from "../../db/images";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { principalOf } from "../../middleware/authenticate";
import { authorizeOwner } from "../authorize";
import { problemResponse } from "../schemas";

export const collectionImageParams = z.strictObject({ id: z.string().max(100), imageId: z.string().max(100) });

export const collectionImageResponses = {
  204: { description: "Done" },
  401: problemResponse("unauthorized"),
  403: problemResponse("forbidden"),
  404: problemResponse("not_found (collection or image)"),
  409: problemResponse("conflict: the image belongs to another owner than the collection"),
};

/** Both objects are looked up through the tenant filter before either is touched. */
export async function collectionAndImage(c: Context<AppEnv>, collectionId: string, imageId: string) {
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
