import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../../auth/access";
import { sessionPrincipalOf } from "../../../auth/principal";
import { database } from "../../../db/client";
import { decodeCursor, toPage } from "../../../db/cursor";
import { listIdentities } from "../../../db/identities";
import { defineEndpoint } from "../../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../../schemas";
import { identitySchema, identityView } from "./identity-view";

export const listIdentitiesEndpoint = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    operationId: "listIdentities",
    path: "/v1/me/identities",
    tags: ["account"],
    summary: "The provider accounts linked to the caller (GitHub, Google, OIDC), newest first",
    request: { query: paginationQuerySchema },
    responses: {
      200: jsonResponse(
        "A page of identities",
        z.object({ data: z.array(identitySchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
    },
  }),
  handler: async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listIdentities(database(c.env.DB), sessionPrincipalOf(c).userId, {
      limit: limit + 1,
      after: decodeCursor(cursor),
    });
    const page = toPage(rows, limit);
    return c.json({ data: page.rows.map(identityView), nextCursor: page.nextCursor }, 200);
  },
});
