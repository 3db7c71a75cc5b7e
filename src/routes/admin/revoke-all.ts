import { createRoute } from "@hono/zod-openapi";
import { operatorOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { apiKeysCutOffUpdate } from "../../db/api-keys";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { sessionsCutOffUpdate } from "../../db/sessions";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { revokeAllIssuedInGuard } from "../sessions/revoke-sessions";
import { adminUserParams } from "./patch-user";

export const adminRevokeAll = defineEndpoint({
  access: operatorOnly,
  route: createRoute({
    method: "post",
    operationId: "adminRevokeAllSessions",
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
    // One guard call voids every session and key created up to now, whatever their number;
    // then D1, in one batch: the rows marked revoked in bulk, with the audit row.
    const cut = await revokeAllIssuedInGuard(c, user.id, { sessions: true, apiKeys: true });
    const now = new Date();
    await db.batch([
      auditEventInsert(db, auditContext(c), {
        type: "admin.credentials_revoked",
        userId: user.id,
        metadata: { by: "operator", createdUpTo: new Date(cut.cutOff).toISOString() },
      }),
      sessionsCutOffUpdate(db, user.id, { ...cut, now }),
      apiKeysCutOffUpdate(db, user.id, { cutOff: cut.cutOff, now }),
    ]);
    return c.body(null, 204);
  },
});
