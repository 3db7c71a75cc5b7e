import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { listApiKeys } from "../../db/api-keys";
import { database } from "../../db/client";
import { decodeCursor, toPage } from "../../db/cursor";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";
import { apiKeySchema, apiKeyView } from "./api-key-view";

export const listApiKeysEndpoint = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    operationId: "listApiKeys",
    path: "/v1/api-keys",
    tags: ["api-keys"],
    summary: "The user's API keys, newest first (never a key or a hash)",
    description:
      "Live keys, and keys revoked or expired in the last 30 days (with `revokedAt` / `expiresAt`); older " +
      "ended keys are no longer listed, so the list does not grow with every key ever revoked.",
    request: { query: paginationQuerySchema },
    responses: {
      200: jsonResponse("A page of keys", z.object({ data: z.array(apiKeySchema), nextCursor: z.string().nullable() })),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
    },
  }),
  handler: async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listApiKeys(database(c.env.DB), sessionPrincipalOf(c).userId, {
      now: new Date(),
      limit: limit + 1,
      after: decodeCursor(cursor),
    });
    const page = toPage(rows, limit);
    return c.json({ data: page.rows.map(apiKeyView), nextCursor: page.nextCursor }, 200);
  },
});
