import * as z from "zod";
import type { Image } from "../../db/schema";

export const imageSizes = ["256x256", "512x512", "1024x1024"] as const;

export const imageSchema = z
  .object({
    id: z.string(),
    prompt: z.string(),
    title: z.string().nullable(),
    size: z.enum(imageSizes),
    contentType: z.string(),
    byteSize: z.int(),
    ownerId: z.string().nullable().meta({
      description:
        "The image's creator; null once they erased their account (a former member: the image stays the team's).",
    }),
    teamId: z.string().nullable(),
    contentUrl: z.string(),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: "Image" });

export const imageIdParams = z.strictObject({ id: z.string().max(100) });

/** The public shape of an image: never its storage key. */
export function imageView(image: Image) {
  return {
    id: image.id,
    prompt: image.prompt,
    title: image.title,
    size: image.size,
    contentType: image.contentType,
    byteSize: image.byteSize,
    ownerId: image.userId,
    teamId: image.teamId,
    contentUrl: `/v1/images/${image.id}/content`,
    createdAt: image.createdAt.toISOString(),
    updatedAt: image.updatedAt.toISOString(),
  };
}
