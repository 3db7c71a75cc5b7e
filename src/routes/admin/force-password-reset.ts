import { createRoute } from "@hono/zod-openapi";
import { operatorOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { apiKeysCutOffUpdate } from "../../db/api-keys";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { sessionsCutOffUpdate } from "../../db/sessions";
import { findUserById, passwordResetRequiredUpdate } from "../../db/users";
import { ApiError } from "../../errors";
import { passwordResetForcedMail } from "../../services/mail-templates";
import { mailResetLink } from "../auth/reset-link";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { revokeAllIssuedInGuard } from "../sessions/revoke-sessions";
import { adminUserParams } from "./patch-user";

export const adminForcePasswordReset = defineEndpoint({
  access: operatorOnly,
  route: createRoute({
    method: "post",
    operationId: "adminForcePasswordReset",
    path: "/v1/admin/users/{id}/force-password-reset",
    tags: ["operator"],
    summary: "Contain a compromised account: every credential dies and the password must be reset",
    description:
      "Every session and API key dies on the next request (one guard call); password sign-in then answers 403 " +
      "password_reset_required (only after a right password: a stranger learns nothing) until the reset link, " +
      "mailed at once, or a later one from /v1/auth/password/forgot, is used. Repeating the call is harmless.",
    request: { params: adminUserParams },
    responses: {
      204: { description: "Contained; the reset link is mailed" },
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const user = await findUserById(db, c.req.valid("param").id);
    if (!user) throw new ApiError("not_found");
    // The guard first: it is what the next request is checked against, whatever D1 does next.
    const cut = await revokeAllIssuedInGuard(c, user.id, { sessions: true, apiKeys: true });
    const now = new Date();
    await db.batch([
      passwordResetRequiredUpdate(db, user.id, now),
      sessionsCutOffUpdate(db, user.id, { ...cut, now }),
      apiKeysCutOffUpdate(db, user.id, { cutOff: cut.cutOff, now }),
      auditEventInsert(db, auditContext(c), {
        type: "admin.password_reset_forced",
        userId: user.id,
        metadata: { by: "operator", createdUpTo: new Date(cut.cutOff).toISOString() },
      }),
    ]);
    await mailResetLink(c, user.id, (url) => passwordResetForcedMail(user.email, url));
    return c.body(null, 204);
  },
});
