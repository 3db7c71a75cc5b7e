import { createRoute } from "@hono/zod-openapi";
import { operatorOnly } from "../../auth/access";
import { database } from "../../db/client";
import { findUserById, passwordResetRequiredUpdate } from "../../db/users";
import { ApiError } from "../../errors";
import { revokeEveryCredential } from "../../services/containment";
import { passwordResetForcedMail } from "../../services/mail-templates";
import { mailResetLink } from "../auth/reset-link";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
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
    await revokeEveryCredential(
      c,
      user.id,
      { type: "admin.password_reset_forced", userId: user.id, metadata: { by: "operator" } },
      [passwordResetRequiredUpdate(db, user.id, new Date())],
    );
    await mailResetLink(c, user.id, (url) => passwordResetForcedMail(user.email, url));
    return c.body(null, 204);
  },
});
