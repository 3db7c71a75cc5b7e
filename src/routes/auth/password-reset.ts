import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sha256Hex } from "../../crypto/hash";
import { hashPassword } from "../../crypto/password";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { consumeResetToken, isResetTokenLive } from "../../db/reset-tokens";
import { listLiveSessionIds } from "../../db/sessions";
import { findUserById, updatePasswordHash } from "../../db/users";
import { withAccountGuard } from "../../durable-objects/guard-client";
import { ApiError } from "../../errors";
import { passwordResetCompletedMail } from "../../services/mail-templates";
import { mailerFor } from "../../services/mailer";
import { publicAccess } from "../access";
import { auditContext } from "../audit-context";
import { defineEndpoint } from "../endpoint";
import { jsonBody, passwordSchema, problemResponse } from "../schemas";
import { revokeSessions } from "../sessions/revoke-sessions";

export const resetBodySchema = z.strictObject({
  token: z.string().min(1).max(200),
  password: passwordSchema,
});

export const passwordReset = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "post",
    path: "/v1/auth/password/reset",
    tags: ["auth"],
    summary: "Set a new password with a reset token; revokes every session and clears a lock",
    request: { body: jsonBody(resetBodySchema) },
    responses: {
      204: { description: "Password reset" },
      400: problemResponse("validation_failed, or invalid_token for an unknown, used or expired token"),
    },
  }),
  handler: async (c) => {
    const { token, password } = c.req.valid("json");
    const db = database(c.env.DB);
    const tokenHash = await sha256Hex(token);
    // A cheap look first: guessed tokens cost no bcrypt. Then hash, then consume atomically
    // (a failure while hashing leaves the token usable; a concurrent reset wins or loses whole).
    if (!(await isResetTokenLive(db, tokenHash, new Date()))) throw new ApiError("invalid_token");
    const passwordHash = await hashPassword(password);
    const userId = await consumeResetToken(db, tokenHash, new Date());
    const user = userId ? await findUserById(db, userId) : undefined;
    if (!user) throw new ApiError("invalid_token");

    await updatePasswordHash(db, user.id, passwordHash, new Date());
    await revokeSessions(c, user.id, await listLiveSessionIds(db, user.id, new Date()));
    const { wasLocked } = await withAccountGuard(c.env, user.email, (guard) => guard.clearLock());
    await recordAuditEvent(db, auditContext(c), { type: "password.reset", userId: user.id });
    if (wasLocked) {
      await recordAuditEvent(db, auditContext(c), {
        type: "auth.unlocked",
        userId: user.id,
        metadata: { by: "password_reset" },
      });
    }
    await mailerFor(c).send(passwordResetCompletedMail(user.email));
    return c.body(null, 204);
  },
});
