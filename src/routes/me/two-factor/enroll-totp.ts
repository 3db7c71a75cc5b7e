import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../../auth/access";
import { sessionPrincipalOf } from "../../../auth/principal";
import { verifyPassword } from "../../../crypto/password";
import { sealSecret } from "../../../crypto/secret-box";
import { database } from "../../../db/client";
import { storePendingMfa } from "../../../db/mfa";
import { findUserById } from "../../../db/users";
import { newTotpSecret, otpauthUri } from "../../../domain/totp";
import { ApiError } from "../../../errors";
import { qrCodeSvgDataUri } from "../../../services/qr-code";
import { guardedPasswordCheck } from "../../auth/guarded-password-check";
import { totpKeys } from "../../auth/second-factor";
import { defineEndpoint } from "../../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../../schemas";

export const totpEnrolmentSchema = z
  .object({
    secret: z.string(),
    otpauthUri: z.string(),
    /** The otpauth:// URI as a QR code: an SVG image, `data:image/svg+xml;base64,…` (drawn on the server). */
    qrCodeSvgDataUri: z.string().startsWith("data:image/svg+xml;base64,"),
  })
  .meta({ id: "TotpEnrolment" });

export const enrollTotp = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "enrollTotp",
    path: "/v1/me/2fa/totp",
    tags: ["two-factor"],
    summary: "Start TOTP enrolment (needs the password); the secret is shown here only",
    request: { body: jsonBody(z.strictObject({ password: z.string().min(1).max(1024) })) },
    responses: {
      200: jsonResponse("The secret, its otpauth:// URI and that URI as a QR code (SVG data URI)", totpEnrolmentSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized, or invalid_credentials for a wrong password"),
      409: problemResponse("conflict: 2FA is already on"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const user = await findUserById(db, sessionPrincipalOf(c).userId);
    if (!user) throw new ApiError("not_found");
    const { password } = c.req.valid("json");
    const { passed } = await guardedPasswordCheck(c, {
      email: user.email,
      userId: user.id,
      context: "mfa_change",
      verify: () => verifyPassword(password, user.passwordHash),
    });
    if (!passed) throw new ApiError("invalid_credentials", { detail: "The password is wrong." });
    const secret = newTotpSecret();
    // Stored sealed (AES-GCM); turned on only by a confirmation with a code from the app.
    if (!(await storePendingMfa(db, user.id, await sealSecret(secret, totpKeys(c)), new Date()))) {
      throw new ApiError("conflict", { detail: "Two-factor authentication is already on." });
    }
    const uri = otpauthUri(secret, user.email);
    return c.json({ secret, otpauthUri: uri, qrCodeSvgDataUri: qrCodeSvgDataUri(uri) }, 200);
  },
});
