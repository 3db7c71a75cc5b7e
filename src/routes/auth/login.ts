import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { signingKeys } from "../../auth/signing-keys";
import { issueMfaToken } from "../../crypto/jwt";
import { spendPasswordCheck, verifyPassword } from "../../crypto/password";
import { recordRepeatedFailure } from "../../db/audit";
import { database } from "../../db/client";
import { findUserByEmail } from "../../db/users";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import {
  emailSchema,
  jsonBody,
  jsonResponse,
  problemResponse,
  sessionDeliverySchema,
  signInResponseSchema,
} from "../schemas";
import { completeLogin } from "./complete-login";
import { guardedPasswordCheck } from "./guarded-password-check";
import { isTwoFactorEnabled } from "./second-factor";
import { requireTrustedOriginFor } from "./start-session";

export const mfaChallengeSchema = z
  .object({ mfaRequired: z.literal(true), mfaToken: z.string() })
  .meta({ id: "MfaChallenge" });

// The password is not length-checked here beyond a cap: a login must not reveal the policy
// that was in force when an old password was chosen.
export const loginBodySchema = z.strictObject({
  email: emailSchema,
  password: z.string().min(1).max(1024),
  session: sessionDeliverySchema,
});
export type LoginBody = z.infer<typeof loginBodySchema>;

export const login = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "post",
    operationId: "login",
    path: "/v1/auth/login",
    tags: ["auth"],
    summary: "Log in with email and password",
    description:
      "At most 5 failed logins per IP in any rolling hour, and 2^n s of backoff (at most 1 h) after the n-th " +
      "consecutive failure; the client's /24 or /48 gets the same with 10x the numbers (50 an hour) " +
      "(429 too_many_attempts); 10 consecutive failures lock the account (423 account_locked) and mail its owner. " +
      "Both carry Retry-After.",
    request: { body: jsonBody(loginBodySchema) },
    responses: {
      200: jsonResponse(
        "Logged in, or (2FA on) the token for POST /v1/auth/login/mfa",
        z.union([signInResponseSchema, mfaChallengeSchema]),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("invalid_credentials (unknown email and wrong password alike)"),
      403: problemResponse(
        "csrf_failed (a cookie session asked for from a foreign origin), or password_reset_required (the operator " +
          "forced a reset: use the mailed link)",
      ),
      423: problemResponse("account_locked"),
      429: problemResponse("too_many_attempts"),
    },
  }),
  handler: async (c) => {
    const { email, password, session } = c.req.valid("json");
    requireTrustedOriginFor(c, session);
    const db = database(c.env.DB);
    const user = await findUserByEmail(db, email);
    const twoFactor = user ? await isTwoFactorEnabled(c, user.id) : false;
    const { passed } = await guardedPasswordCheck(c, {
      email,
      userId: user?.id ?? null,
      context: "login",
      partial: twoFactor,
      // An unknown email still costs one bcrypt compare, so timing does not reveal accounts.
      verify: () => (user ? verifyPassword(password, user.passwordHash) : spendPasswordCheck(password)),
    });
    if (!user || !passed) {
      // Counted per address, account, reason and minute: failures are repeatable at will.
      await recordRepeatedFailure(db, auditContext(c), {
        type: "auth.login_failed",
        userId: user?.id ?? null,
        metadata: { reason: user ? "bad_password" : "unknown_email", context: "login" },
      });
      throw new ApiError("invalid_credentials");
    }

    // The operator contained this account: only after the right password (a stranger learns
    // nothing), and before any second factor or session.
    if (user.passwordResetRequired) throw new ApiError("password_reset_required");

    if (twoFactor) {
      // The password was right; the session waits for the second factor (and the counts stay).
      return c.json({ mfaRequired: true as const, mfaToken: await issueMfaToken(user.id, signingKeys(c)) }, 200);
    }
    return c.json(await completeLogin(c, user, { delivery: session, signInMethod: "password" }), 200);
  },
});
