import * as z from "zod";
import type { Collection } from "../../db/schema";
import { plainText } from "../schemas";

export const collectionSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    ownerId: z.string().nullable().meta({
      description:
        "The collection's creator; null once they erased their account (a former member: it stays the team's).",
    }),
    teamId: z.string().nullable(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Collection" });

export const collectionWithImagesSchema = collectionSchema.extend({ imageIds: z.array(z.string()) }).meta({
  id: "CollectionWithImages",
});

export const collectionIdParams = z.strictObject({ id: z.string().max(100) });
export const collectionNameSchema = plainText({ max: 100, trim: true });

export function collectionView(collection: Collection) {
  return {
    id: collection.id,
    name: collection.name,
    ownerId: collection.userId,
    teamId: collection.teamId,
    createdAt: collection.createdAt.toISOString(),
    updatedAt: collection.updatedAt.toISOString(),
  };
}
