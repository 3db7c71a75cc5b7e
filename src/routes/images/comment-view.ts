import * as z from "zod";
import type { Comment } from "../../db/schema";

export const commentSchema = z
  .object({
    id: z.string(),
    imageId: z.string(),
    authorId: z.string().nullable().meta({
      description:
        "The author; null once they erased their account (a former member: the comment stays on the team's image).",
    }),
    body: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "Comment" });

export function commentView(comment: Comment) {
  return {
    id: comment.id,
    imageId: comment.imageId,
    authorId: comment.userId,
    body: comment.body,
    createdAt: comment.createdAt.toISOString(),
  };
}
