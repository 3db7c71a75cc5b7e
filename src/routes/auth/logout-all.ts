import { createRoute } from "@hono/zod-openapi";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sessionPrincipalOf } from "../../auth/principal";
import { clearSessionCookieOf } from "../../auth/session-cookie";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { sessionsCutOffUpdate } from "../../db/sessions";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { revokeAllIssuedInGuard } from "../sessions/revoke-sessions";

export const logoutAll = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "logoutAll",
    path: "/v1/auth/logout-all",
    tags: ["auth"],
    summary: "End every session of the user, this one included",
    responses: { 204: { description: "All sessions ended" }, 401: problemResponse("unauthorized") },
  }),
  handler: async (c) => {
    const principal = sessionPrincipalOf(c);
    const { userId } = principal;
    // One guard call whatever the number of sessions (this one was created before now, so it
    // goes too); then D1's rows in one statement, with the audit row.
    const cut = await revokeAllIssuedInGuard(c, userId, { sessions: true, apiKeys: false });
    const db = database(c.env.DB);
    await db.batch([
      sessionsCutOffUpdate(db, userId, { ...cut, now: new Date() }),
      auditEventInsert(db, auditContext(c), {
        type: "auth.logout_all",
        userId,
        metadata: { createdUpTo: new Date(cut.cutOff).toISOString() },
      }),
    ]);
    clearSessionCookieOf(c, principal);
    return c.body(null, 204);
  },
});
