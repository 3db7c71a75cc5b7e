import { createRoute } from "@hono/zod-openapi";
import { operatorOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { apiKeyRevocationUpdate, listLiveApiKeyIds } from "../../db/api-keys";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { listLiveSessionIds, sessionsRevokedUpdates } from "../../db/sessions";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { withUserGuard } from "../../services/guard-client";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { adminUserParams } from "./patch-user";

export const adminRevokeAll = defineEndpoint({
  access: operatorOnly,
  route: createRoute({
    method: "post",
    path: "/v1/admin/users/{id}/revoke-all",
    tags: ["operator"],
    summary: "Contain: every session and API key of the user dies on the next request",
    request: { params: adminUserParams },
    responses: {
      204: { description: "Revoked" },
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const user = await findUserById(db, c.req.valid("param").id);
    if (!user) throw new ApiError("not_found");
    const now = new Date();
    const [sessionIds, keyIds] = await Promise.all([
      listLiveSessionIds(db, user.id, now),
      listLiveApiKeyIds(db, user.id, now),
    ]);
    await withUserGuard(c.env, user.id, async (guard) => {
      await guard.revokeSessions(sessionIds);
      await guard.revokeApiKeys(keyIds, now.getTime());
    });
    // Then D1, in one batch: every session and key marked revoked, with the audit row.
    await db.batch([
      auditEventInsert(db, auditContext(c), {
        type: "admin.credentials_revoked",
        userId: user.id,
        metadata: { by: "operator", sessions: sessionIds.length, apiKeys: keyIds.length },
      }),
      ...sessionsRevokedUpdates(db, user.id, sessionIds, now),
      ...keyIds.map((keyId) => apiKeyRevocationUpdate(db, user.id, keyId, now)),
    ]);
    return c.body(null, 204);
  },
});
