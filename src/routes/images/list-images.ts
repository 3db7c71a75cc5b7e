import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOrKey } from "../../auth/access";
import { principalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { decodeCursor, toPage } from "../../db/cursor";
import { listImages } from "../../db/images";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";
import { imageSchema, imageView } from "./image-view";

export const listImagesEndpoint = defineEndpoint({
  access: sessionOrKey("read", "view"),
  route: createRoute({
    method: "get",
    operationId: "listImages",
    path: "/v1/images",
    tags: ["images"],
    summary: "The caller's images, or a team's with ?teamId=, newest first (deleted ones never listed)",
    request: { query: paginationQuerySchema.extend({ teamId: z.string().max(100).optional() }) },
    responses: {
      200: jsonResponse(
        "A page of images",
        z.object({ data: z.array(imageSchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found (a team the caller is not in)"),
    },
  }),
  handler: async (c) => {
    const { limit, cursor, teamId } = c.req.valid("query");
    if (teamId !== undefined) await authorizeTeam(c, teamId);
    const rows = await listImages(database(c.env.DB), principalOf(c).userId, {
      teamId: teamId ?? null,
      limit: limit + 1,
      after: decodeCursor(cursor),
    });
    const page = toPage(rows, limit);
    return c.json({ data: page.rows.map(imageView), nextCursor: page.nextCursor }, 200);
  },
});
