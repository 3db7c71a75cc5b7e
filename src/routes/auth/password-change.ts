import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sessionPrincipalOf } from "../../auth/principal";
import { hashPassword, verifyPassword } from "../../crypto/password";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { resetTokensVoidedUpdate } from "../../db/reset-tokens";
import { sessionsCutOffUpdate } from "../../db/sessions";
import { findUserById, passwordHashUpdate } from "../../db/users";
import { ApiError } from "../../errors";
import { passwordChangedMail } from "../../services/mail-templates";
import { mailerFor } from "../../services/mailer";
import { defineEndpoint } from "../endpoint";
import { jsonBody, passwordSchema, problemResponse } from "../schemas";
import { revokeAllIssuedInGuard } from "../sessions/revoke-sessions";
import { guardedPasswordCheck } from "./guarded-password-check";

export const changeBodySchema = z.strictObject({
  currentPassword: z.string().min(1).max(1024),
  newPassword: passwordSchema,
});

export const passwordChange = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "changePassword",
    path: "/v1/auth/password/change",
    tags: ["auth"],
    summary: "Change the password; every other session is revoked, this one kept",
    description: "Wrong current passwords count towards the same lockout as failed logins.",
    request: { body: jsonBody(changeBodySchema) },
    responses: {
      204: { description: "Password changed" },
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized, or invalid_credentials for a wrong current password"),
      423: problemResponse("account_locked"),
      429: problemResponse("too_many_attempts"),
    },
  }),
  handler: async (c) => {
    const { currentPassword, newPassword } = c.req.valid("json");
    const principal = sessionPrincipalOf(c);
    const db = database(c.env.DB);
    const user = await findUserById(db, principal.userId);
    if (!user) throw new ApiError("not_found");
    const { passed } = await guardedPasswordCheck(c, {
      email: user.email,
      userId: user.id,
      context: "password_change",
      verify: () => verifyPassword(currentPassword, user.passwordHash),
    });
    if (!passed) throw new ApiError("invalid_credentials", { detail: "The current password is wrong." });

    const passwordHash = await hashPassword(newPassword);
    const now = new Date();
    // Every other session ends without listing any: one guard call voids every session created
    // up to now except this one (the cut-off's one exception; see revokeIssuedBeforeNow). The
    // guard first, then the password, the sessions and the audit row in one transaction: if D1
    // fails, the old password still holds and the change can be repeated; the other sessions
    // stay revoked, the safe side.
    const cut = await revokeAllIssuedInGuard(c, user.id, {
      sessions: true,
      apiKeys: false,
      keepSession: { sessionId: principal.sessionId, createdAt: principal.sessionCreatedAt },
    });
    await db.batch([
      passwordHashUpdate(db, user.id, passwordHash, now),
      resetTokensVoidedUpdate(db, user.id, now),
      sessionsCutOffUpdate(db, user.id, { ...cut, now }),
      auditEventInsert(db, auditContext(c), {
        type: "password.changed",
        userId: user.id,
        metadata: { sessionsCreatedUpTo: new Date(cut.cutOff).toISOString() },
      }),
    ]);
    await mailerFor(c).send(passwordChangedMail(user.email));
    return c.body(null, 204);
  },
});
