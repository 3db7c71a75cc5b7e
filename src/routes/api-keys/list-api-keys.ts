import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { listApiKeys } from "../../db/api-keys";
import { database } from "../../db/client";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";
import { apiKeySchema, apiKeyView } from "./api-key-view";

export const listApiKeysEndpoint = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    path: "/v1/api-keys",
    tags: ["api-keys"],
    summary: "The user's API keys, revoked ones included (never a key or a hash)",
    responses: {
      200: jsonResponse("Keys", z.object({ data: z.array(apiKeySchema), nextCursor: z.null() })),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
    },
  }),
  handler: async (c) => {
    const keys = await listApiKeys(database(c.env.DB), sessionPrincipalOf(c).userId);
    return c.json({ data: keys.map(apiKeyView), nextCursor: null }, 200);
  },
});
