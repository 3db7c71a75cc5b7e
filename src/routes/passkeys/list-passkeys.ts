import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { decodeCursor, toPage } from "../../db/cursor";
import { listPasskeys } from "../../db/passkeys";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";
import { passkeySchema, passkeyView } from "./passkey-view";

export const listPasskeysEndpoint = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    operationId: "listPasskeys",
    path: "/v1/me/passkeys",
    tags: ["passkeys"],
    summary: "The user's passkeys, newest first (names and dates only)",
    request: { query: paginationQuerySchema },
    responses: {
      200: jsonResponse(
        "A page of passkeys",
        z.object({ data: z.array(passkeySchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
    },
  }),
  handler: async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listPasskeys(database(c.env.DB), sessionPrincipalOf(c).userId, {
      limit: limit + 1,
      after: decodeCursor(cursor),
    });
    const page = toPage(rows, limit);
    return c.json({ data: page.rows.map(passkeyView), nextCursor: page.nextCursor }, 200);
  },
});
