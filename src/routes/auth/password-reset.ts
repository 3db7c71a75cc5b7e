import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sha256Hex } from "../../crypto/hash";
import { hashPassword } from "../../crypto/password";
import { listLiveApiKeyNotices } from "../../db/api-keys";
import { database } from "../../db/client";
import { claimMailboxAfterReset } from "../../db/email-verification";
import { findResetTokenUser, resetPasswordWithToken } from "../../db/reset-tokens";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { withAccountGuard } from "../../services/guard-client";
import { passwordResetCompletedMail } from "../../services/mail-templates";
import { mailerFor } from "../../services/mailer";
import { defineEndpoint } from "../endpoint";
import { jsonBody, passwordSchema, problemResponse } from "../schemas";
import { revokeAllIssuedInGuard } from "../sessions/revoke-sessions";

export const resetBodySchema = z.strictObject({
  token: z.string().min(1).max(200),
  password: passwordSchema,
  revokeApiKeys: z.boolean().optional(),
});

export const passwordReset = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "post",
    operationId: "resetPassword",
    path: "/v1/auth/password/reset",
    tags: ["auth"],
    summary:
      "Set a new password with a reset token; revokes every session (with revokeApiKeys every key), clears a lock, " +
      "marks the email verified, and mails the owner the API keys still alive",
    request: { body: jsonBody(resetBodySchema) },
    responses: {
      204: { description: "Password reset" },
      400: problemResponse("validation_failed, or invalid_token for an unknown, used or expired token"),
    },
  }),
  handler: async (c) => {
    const { token, password, revokeApiKeys = false } = c.req.valid("json");
    const db = database(c.env.DB);
    const tokenHash = await sha256Hex(token);
    // A cheap look first: guessed tokens cost no bcrypt, and nothing is used up yet.
    const userId = await findResetTokenUser(db, tokenHash, new Date());
    const user = userId ? await findUserById(db, userId) : undefined;
    if (!user) throw new ApiError("invalid_token");
    const passwordHash = await hashPassword(password);

    // The guards first: they are what the next request checks, and what they do errs on the
    // safe side if D1 then fails (sessions revoked, a lock lifted by the owner of the mailbox).
    // Every session (and with revokeApiKeys every key) in one guard call, whatever their number.
    const now = new Date();
    const cut = await revokeAllIssuedInGuard(c, user.id, { sessions: true, apiKeys: revokeApiKeys });
    const { wasLocked } = await withAccountGuard(c.env, user.email, (guard) => guard.clearLock());
    // The live link proved the mailbox: the email is verified, and a pending email change (and
    // any link of one) dies, so whoever held the account before cannot move it to their address.
    await claimMailboxAfterReset(db, user.id, now);
    // Then one transaction: the password, the sessions, the audit rows and the token change
    // together or not at all. If D1 fails, the token is still live and the reset can be repeated.
    const done = await resetPasswordWithToken(
      db,
      { tokenHash, userId: user.id, passwordHash, cutOff: cut.cutOff, revokeApiKeys, now },
      {
        context: auditContext(c),
        events: [
          { type: "password.reset", userId: user.id, metadata: { revokeApiKeys } },
          ...(wasLocked
            ? [{ type: "auth.unlocked" as const, userId: user.id, metadata: { by: "password_reset" } }]
            : []),
        ],
      },
    );
    // A concurrent reset with the same token was first.
    if (!done) throw new ApiError("invalid_token");
    // The keys that survived the reset, so that a key someone else made does not go unseen.
    const liveKeys = await listLiveApiKeyNotices(db, user.id, new Date());
    await mailerFor(c).send(passwordResetCompletedMail(user.email, liveKeys));
    return c.body(null, 204);
  },
});
