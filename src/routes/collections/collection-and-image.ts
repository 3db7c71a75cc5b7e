import type { Context } from "hono";
import * as z from "zod";
import { principalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { findVisibleImage } from "../../db/images";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { problemResponse } from "../schemas";
import { authorizedCollection } from "./authorized-collection";

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
  const collection = await authorizedCollection(c, collectionId);
  const image = await findVisibleImage(database(c.env.DB), principalOf(c).userId, imageId);
  if (!image) throw new ApiError("not_found");
  const sameOwner =
    collection.teamId === null
      ? image.teamId === null && image.userId === collection.userId
      : image.teamId === collection.teamId;
  if (!sameOwner) throw new ApiError("conflict", { detail: "A collection holds only images of its own owner." });
  return { collection, image };
}
