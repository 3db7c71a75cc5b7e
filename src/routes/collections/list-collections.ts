import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOrKey } from "../../auth/access";
import { principalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { listCollections } from "../../db/collections";
import { decodeCursor, toPage } from "../../db/cursor";
import { authorizeTeam } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";
import { collectionSchema, collectionView } from "./collection-view";

export const listCollectionsEndpoint = defineEndpoint({
  access: sessionOrKey("read", "view"),
  route: createRoute({
    method: "get",
    operationId: "listCollections",
    path: "/v1/collections",
    tags: ["collections"],
    summary: "The caller's collections, or a team's with ?teamId=",
    request: { query: paginationQuerySchema.extend({ teamId: z.string().max(100).optional() }) },
    responses: {
      200: jsonResponse(
        "A page of collections",
        z.object({ data: z.array(collectionSchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const { limit, cursor, teamId } = c.req.valid("query");
    if (teamId !== undefined) await authorizeTeam(c, teamId);
    const rows = await listCollections(database(c.env.DB), principalOf(c).userId, {
      teamId: teamId ?? null,
      limit: limit + 1,
      after: decodeCursor(cursor),
    });
    const page = toPage(rows, limit);
    return c.json({ data: page.rows.map(collectionView), nextCursor: page.nextCursor }, 200);
  },
});
