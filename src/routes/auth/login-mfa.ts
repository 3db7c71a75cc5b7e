import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { signingKeys } from "../../auth/signing-keys";
import { verifyMfaToken } from "../../crypto/jwt";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { countUnusedBackupCodes } from "../../db/mfa";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { withUserGuard } from "../../services/guard-client";
import { backupCodeUsedMail } from "../../services/mail-templates";
import { mailerFor } from "../../services/mailer";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse, sessionDeliverySchema, signInResponseSchema } from "../schemas";
import { completeLogin } from "./complete-login";
import { guardedPasswordCheck } from "./guarded-password-check";
import { consumeSecondFactor } from "./second-factor";
import { requireTrustedOriginFor } from "./start-session";

export const loginMfaBodySchema = z
  .strictObject({
    mfaToken: z.string().min(1).max(2048),
    code: z.string().max(16).optional(),
    backupCode: z.string().max(32).optional(),
    session: sessionDeliverySchema,
  })
  .refine((body) => (body.code === undefined) !== (body.backupCode === undefined), {
    error: "send exactly one of code and backupCode",
    path: ["code"],
  });

export const loginMfa = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "post",
    operationId: "loginMfa",
    path: "/v1/auth/login/mfa",
    tags: ["auth"],
    summary: "Second step of a login with 2FA: the mfaToken and a TOTP code or a backup code",
    description:
      "The mfaToken is single use (5 minutes): after a wrong code, log in again. Wrong codes count as failed logins " +
      "for the IP throttle and the account lockout.",
    request: { body: jsonBody(loginMfaBodySchema) },
    responses: {
      200: jsonResponse("Logged in", signInResponseSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized (mfaToken unknown, used or expired), or invalid_credentials (wrong code)"),
      403: problemResponse("csrf_failed (a cookie session asked for from a foreign origin)"),
      423: problemResponse("account_locked"),
      429: problemResponse("too_many_attempts"),
    },
  }),
  handler: async (c) => {
    const { mfaToken, code, backupCode, session } = c.req.valid("json");
    requireTrustedOriginFor(c, session);
    const claims = await verifyMfaToken(mfaToken, signingKeys(c), Math.floor(Date.now() / 1000));
    if (!claims) throw new ApiError("unauthorized");
    // Single use: the user's guard retires the token's id; a second presentation finds it gone.
    const fresh = await withUserGuard(c.env, claims.userId, (guard) => guard.revokeToken(claims.jti, claims.exp));
    if (!fresh) throw new ApiError("unauthorized");
    const db = database(c.env.DB);
    const user = await findUserById(db, claims.userId);
    if (!user) throw new ApiError("unauthorized");

    let factor: "totp" | "backup" | null = null;
    const { passed, newlyLocked } = await guardedPasswordCheck(c, {
      email: user.email,
      userId: user.id,
      context: "login_mfa",
      verify: async () => {
        factor = await consumeSecondFactor(c, user.id, { code, backupCode });
        return factor !== null;
      },
    });
    if (!passed) {
      await recordAuditEvent(db, auditContext(c), {
        type: "mfa.challenge_failed",
        userId: user.id,
        metadata: { factor: code !== undefined ? "totp" : "backup", locked: newlyLocked },
      });
      throw new ApiError("invalid_credentials", { detail: "The code is wrong or was already used." });
    }
    if (factor === "backup") {
      await recordAuditEvent(db, auditContext(c), { type: "mfa.backup_code_used", userId: user.id });
      await mailerFor(c).send(backupCodeUsedMail(user.email, await countUnusedBackupCodes(db, user.id)));
    }
    const signInMethod = factor === "backup" ? "backup_code" : "totp";
    return c.json(await completeLogin(c, user, { delivery: session, signInMethod }, { secondFactor: factor }), 200);
  },
});
