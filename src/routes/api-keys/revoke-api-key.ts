import { createRoute } from "@hono/zod-openapi";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sessionPrincipalOf } from "../../auth/principal";
import { apiKeyRevocationUpdate, findOwnApiKey } from "../../db/api-keys";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { ApiError } from "../../errors";
import { confirmApiKeyRevocation, withUserGuard } from "../../services/guard-client";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { apiKeyIdParams } from "./api-key-view";

export const revokeApiKey = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "delete",
    operationId: "revokeApiKey",
    path: "/v1/api-keys/{id}",
    tags: ["api-keys"],
    summary: "Revoke a key: it is refused from the very next request",
    request: { params: apiKeyIdParams },
    responses: {
      204: { description: "Revoked" },
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found (also another user's key)"),
    },
  }),
  handler: async (c) => {
    const principal = sessionPrincipalOf(c);
    const db = database(c.env.DB);
    const key = await findOwnApiKey(db, principal.userId, c.req.valid("param").id);
    if (!key) throw new ApiError("not_found");
    const now = Date.now();
    // The Durable Object first: it is what the next request asks, from any isolate. It keeps the
    // revocation until told D1 holds it too, so a D1 failure below cannot let the key come back.
    await withUserGuard(c.env, principal.userId, (guard) => guard.revokeApiKey(key.id, now));
    // Then the row and its audit row together.
    await db.batch([
      apiKeyRevocationUpdate(db, principal.userId, key.id, new Date(now)),
      auditEventInsert(db, auditContext(c), {
        type: "api_key.revoked",
        userId: principal.userId,
        metadata: { keyId: key.id },
      }),
    ]);
    await confirmApiKeyRevocation(c, principal.userId, key.id, now);
    return c.body(null, 204);
  },
});
