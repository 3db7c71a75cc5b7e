import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { verifyPassword } from "../../crypto/password";
import { database } from "../../db/client";
import { setPendingEmail } from "../../db/email-verification";
import type { User } from "../../db/schema";
import { findUserByEmail, findUserById, publicUser, updateUserProfile } from "../../db/users";
import { ApiError } from "../../errors";
import { mailVerificationLink, verificationMailsCapped } from "../../services/email-verification";
import { emailChangeConfirmationMail, emailChangeRequestedMail } from "../../services/mail-templates";
import { mailerFor } from "../../services/mailer";
import { guardedPasswordCheck } from "../auth/guarded-password-check";
import { consumeSecondFactor, isTwoFactorEnabled } from "../auth/second-factor";
import { defineEndpoint } from "../endpoint";
import { emailSchema, jsonBody, jsonResponse, nameSchema, problemResponse, userSchema } from "../schemas";

export const patchMeBodySchema = z.strictObject({
  name: nameSchema.nullable().optional(),
  email: emailSchema.optional(),
  currentPassword: z.string().min(1).max(1024).optional(),
  /** With 2FA on, an email change also needs a fresh code from the app. */
  code: z.string().max(16).optional(),
});
export type PatchMeBody = z.infer<typeof patchMeBodySchema>;

export const patchMe = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "patch",
    operationId: "updateMe",
    path: "/v1/me",
    tags: ["account"],
    summary: "Change name, or ask to change the email (needs the current password; applies once confirmed)",
    description:
      "An email change does not apply at once: the answer carries `pendingEmail`, a confirmation link goes to the " +
      "new address and a notice to the current one, and `email` changes when the link is used " +
      "(POST /v1/auth/email/verify). A newer change voids the older link. At most 3 verification mails per address " +
      "in any rolling hour (429 rate_limited).",
    request: { body: jsonBody(patchMeBodySchema) },
    responses: {
      200: jsonResponse("The updated user (with `pendingEmail` after an email change)", userSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized, or invalid_credentials for a wrong current password"),
      423: problemResponse("account_locked"),
      429: problemResponse("too_many_attempts, or rate_limited for the new address's verification mails"),
      409: problemResponse("email_taken"),
    },
  }),
  handler: async (c) => {
    const body = c.req.valid("json");
    const db = database(c.env.DB);
    const user = await findUserById(db, principalOf(c).userId);
    if (!user) throw new ApiError("not_found");

    const changes: { name?: string | null } = {};
    if (body.name !== undefined && body.name !== user.name) changes.name = body.name;
    let newEmail: string | undefined;
    if (body.email !== undefined && body.email !== user.email) {
      // Re-authentication for an email change (ASVS 5.0 V6.2: a stolen session alone must not
      // be enough to take over the account's recovery address).
      if (body.currentPassword === undefined) {
        throw new ApiError("validation_failed", {
          errors: [{ path: "currentPassword", message: "is required to change the email" }],
        });
      }
      const currentPassword = body.currentPassword;
      const twoFactor = await isTwoFactorEnabled(c, user.id);
      if (twoFactor && body.code === undefined) {
        throw new ApiError("validation_failed", {
          errors: [{ path: "code", message: "is required to change the email while two-factor authentication is on" }],
        });
      }
      const { passed } = await guardedPasswordCheck(c, {
        email: user.email,
        userId: user.id,
        context: "email_change",
        verify: async () =>
          (await verifyPassword(currentPassword, user.passwordHash)) &&
          (!twoFactor || (await consumeSecondFactor(c, user.id, { code: body.code })) !== null),
      });
      if (!passed) throw new ApiError("invalid_credentials", { detail: "The current password is wrong." });
      if (await findUserByEmail(db, body.email)) throw new ApiError("email_taken");
      newEmail = body.email;
    }
    if (newEmail !== undefined) return c.json(publicUser(await requestEmailChange(user, newEmail)), 200);
    if (Object.keys(changes).length === 0) return c.json(publicUser(user), 200);

    const updated = await updateUserProfile(db, user.id, changes, {
      context: auditContext(c),
      event: { type: "profile.updated", userId: user.id, metadata: { fields: Object.keys(changes) } },
    });
    if (!updated) throw new ApiError("not_found");
    return c.json(publicUser(updated), 200);

    /**
     * The address changes only when the link mailed to it is used: whoever asks must prove the
     * new mailbox, as sign-up does (else an account could take an address it does not own).
     * The current address is told, so its owner can stop a change they did not ask for.
     */
    async function requestEmailChange(current: User, pendingEmail: string): Promise<User> {
      let updated: User | undefined;
      const capped = await mailVerificationLink(
        c,
        { userId: current.id, email: pendingEmail },
        (url) => emailChangeConfirmationMail(pendingEmail, url),
        async () => {
          updated = await setPendingEmail(
            db,
            current.id,
            { pendingEmail, ...changes },
            {
              context: auditContext(c),
              event: {
                type: "email.change_requested",
                userId: current.id,
                metadata: { fields: [...Object.keys(changes), "email"] },
              },
            },
          );
        },
      );
      if (capped) throw verificationMailsCapped(capped);
      if (!updated) throw new ApiError("not_found");
      await mailerFor(c).send(emailChangeRequestedMail(current.email, pendingEmail));
      return updated;
    }
  },
});
