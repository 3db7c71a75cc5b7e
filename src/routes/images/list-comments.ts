import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOrKey } from "../../auth/access";
import { database } from "../../db/client";
import { listComments } from "../../db/comments";
import { decodeCursor, toPage } from "../../db/cursor";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";
import { authorizedImage } from "./authorized-image";
import { commentSchema, commentView } from "./comment-view";
import { imageIdParams } from "./image-view";

export const listImageComments = defineEndpoint({
  access: sessionOrKey("read", "view"),
  route: createRoute({
    method: "get",
    operationId: "listImageComments",
    path: "/v1/images/{id}/comments",
    tags: ["images"],
    summary: "An image's comments, newest first",
    request: { params: imageIdParams, query: paginationQuerySchema },
    responses: {
      200: jsonResponse(
        "A page of comments",
        z.object({ data: z.array(commentSchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const image = await authorizedImage(c, c.req.valid("param").id);
    const { limit, cursor } = c.req.valid("query");
    const page = toPage(await listComments(db, image.id, { limit: limit + 1, after: decodeCursor(cursor) }), limit);
    return c.json({ data: page.rows.map(commentView), nextCursor: page.nextCursor }, 200);
  },
});
