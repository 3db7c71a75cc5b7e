import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOrKey } from "../../auth/access";
import { principalOf } from "../../auth/principal";
import { newId } from "../../crypto/random";
import { database } from "../../db/client";
import { insertComment } from "../../db/comments";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, plainText, problemResponse } from "../schemas";
import { authorizedImage } from "./authorized-image";
import { commentSchema, commentView } from "./comment-view";
import { imageIdParams } from "./image-view";

/** Plain text, returned as a JSON string only: the API never renders it as markup. */
export const createCommentBodySchema = z.strictObject({ body: plainText({ max: 2000 }) });

export const createImageComment = defineEndpoint({
  // A key's `manage` scope covers writes to images and their comments; the team role must
  // include `comment` (member or owner; an admin's or viewer's does not).
  access: sessionOrKey("manage", "comment"),
  route: createRoute({
    method: "post",
    operationId: "createImageComment",
    path: "/v1/images/{id}/comments",
    tags: ["images"],
    summary: "Comment on an image (its owner, or a team member or owner)",
    request: { params: imageIdParams, body: jsonBody(createCommentBodySchema) },
    responses: {
      201: jsonResponse("The comment", commentSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const principal = principalOf(c);
    const image = await authorizedImage(c, c.req.valid("param").id);
    const comment = await insertComment(db, {
      id: newId("cmt"),
      imageId: image.id,
      userId: principal.userId,
      body: c.req.valid("json").body,
      createdAt: new Date(),
    });
    return c.json(commentView(comment), 201);
  },
});
