import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../../auth/access";
import { auditContext } from "../../../auth/audit-context";
import { sessionPrincipalOf } from "../../../auth/principal";
import { verifyPassword } from "../../../crypto/password";
import { auditEventInsert } from "../../../db/audit";
import { database } from "../../../db/client";
import { disableMfa } from "../../../db/mfa";
import { findUserById } from "../../../db/users";
import { ApiError } from "../../../errors";
import { twoFactorDisabledMail } from "../../../services/mail-templates";
import { mailerFor } from "../../../services/mailer";
import { guardedPasswordCheck } from "../../auth/guarded-password-check";
import { consumeSecondFactor, isTwoFactorEnabled } from "../../auth/second-factor";
import { defineEndpoint } from "../../endpoint";
import { jsonBody, problemResponse } from "../../schemas";

export const disableTwoFactor = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "delete",
    operationId: "disableTwoFactor",
    path: "/v1/me/2fa",
    tags: ["two-factor"],
    summary: "Turn 2FA off: needs the password and a fresh code; the owner is mailed",
    request: {
      body: jsonBody(z.strictObject({ password: z.string().min(1).max(1024), code: z.string().max(16) })),
    },
    responses: {
      204: { description: "Turned off" },
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized, or invalid_credentials (password or code wrong)"),
      409: problemResponse("conflict: 2FA is not on"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const user = await findUserById(db, sessionPrincipalOf(c).userId);
    if (!user) throw new ApiError("not_found");
    if (!(await isTwoFactorEnabled(c, user.id)))
      throw new ApiError("conflict", { detail: "Two-factor authentication is off." });
    const { password, code } = c.req.valid("json");
    // Password and code are one guess for the lockout: both must be right.
    const { passed } = await guardedPasswordCheck(c, {
      email: user.email,
      userId: user.id,
      context: "mfa_change",
      verify: async () =>
        (await verifyPassword(password, user.passwordHash)) &&
        (await consumeSecondFactor(c, user.id, { code })) !== null,
    });
    if (!passed) throw new ApiError("invalid_credentials", { detail: "The password or the code is wrong." });
    await disableMfa(
      db,
      user.id,
      auditEventInsert(db, auditContext(c), { type: "mfa.disabled", userId: user.id, metadata: { by: "owner" } }),
    );
    await mailerFor(c).send(twoFactorDisabledMail(user.email));
    return c.body(null, 204);
  },
});
