import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sha256Hex } from "../../crypto/hash";
import { database, isUniqueViolation } from "../../db/client";
import { applyVerificationToken, findLiveVerificationToken } from "../../db/email-verification";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { jsonBody, problemResponse } from "../schemas";

export const verifyEmailBodySchema = z.strictObject({ token: z.string().min(1).max(200) });

/**
 * Uses a mailed link: it proves the account's address (sign-up, resend), or it confirms an
 * email change, and only then does the account's email become the new address. No credential:
 * the link is the proof, and the request is admitted like any anonymous one (per-IP budget).
 */
export const verifyEmail = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "post",
    operationId: "verifyEmail",
    path: "/v1/auth/email/verify",
    tags: ["auth"],
    summary: "Prove an email address with the mailed link (verifies it, or completes an email change)",
    request: { body: jsonBody(verifyEmailBodySchema) },
    responses: {
      204: { description: "Email verified (or changed to the confirmed address)" },
      400: problemResponse("validation_failed, or invalid_token for an unknown, used, replaced or expired link"),
      409: problemResponse("email_taken: another account took the new address meanwhile (nothing changed)"),
    },
  }),
  handler: async (c) => {
    const tokenHash = await sha256Hex(c.req.valid("json").token);
    const db = database(c.env.DB);
    const now = new Date();
    const link = await findLiveVerificationToken(db, tokenHash, now);
    const user = link ? await findUserById(db, link.userId) : undefined;
    if (!link || !user) throw new ApiError("invalid_token");
    // A link proves the address it was mailed to: the current one, or the pending one of a
    // change. Any other (a change since replaced by a newer one) is no longer good for anything.
    const kind = link.email === user.email ? "verify" : link.email === user.pendingEmail ? "change" : null;
    if (!kind) throw new ApiError("invalid_token");
    const applied = await applyVerificationToken(
      db,
      { kind, tokenHash, userId: user.id, email: link.email, now },
      {
        context: auditContext(c),
        event: { type: kind === "verify" ? "email.verified" : "email.changed", userId: user.id },
      },
    ).catch((error: unknown) => {
      // Someone registered (or confirmed) the address after the change was asked for.
      if (isUniqueViolation(error)) throw new ApiError("email_taken");
      throw error;
    });
    // A concurrent use of the same link was first.
    if (!applied) throw new ApiError("invalid_token");
    return c.body(null, 204);
  },
});
