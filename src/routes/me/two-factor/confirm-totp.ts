import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../../auth/access";
import { auditContext } from "../../../auth/audit-context";
import { sessionPrincipalOf } from "../../../auth/principal";
import { randomBase32 } from "../../../crypto/random";
import { auditEventInsert } from "../../../db/audit";
import { database } from "../../../db/client";
import { enableMfa, findMfa } from "../../../db/mfa";
import { sessionsCutOffUpdate } from "../../../db/sessions";
import { matchTotpStep } from "../../../domain/totp";
import { ApiError } from "../../../errors";
import { hashBackupCode, openTotpSecret } from "../../auth/second-factor";
import { defineEndpoint } from "../../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../../schemas";
import { revokeAllIssuedInGuard } from "../../sessions/revoke-sessions";

const BACKUP_CODE_COUNT = 10;

export const confirmTotpBodySchema = z.strictObject({
  code: z.string().max(16),
  /**
   * Ends every other session of the user (one that a thief may hold from before 2FA). False by
   * default in the API, so that a script keeps working; the console sends true unless unticked.
   */
  endOtherSessions: z.boolean().optional(),
});

/**
 * `xxxx-xxxx-xxxx-xxxx`: 16 base32 characters, 80 random bits (a code is used without a rate
 * limit of its own beyond the login guards, so it carries at least 64), grouped to be typed.
 */
function newBackupCode(): string {
  return randomBase32(16).match(/.{4}/g)?.join("-") ?? "";
}

export const confirmTotp = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "confirmTotp",
    path: "/v1/me/2fa/totp/confirm",
    tags: ["two-factor"],
    summary: "Turn 2FA on with a code from the app; answers 10 backup codes, shown once",
    description:
      "With `endOtherSessions: true` (the console's default), every other session of the user ends at once, in " +
      "one call whatever their number; this one is kept.",
    request: { body: jsonBody(confirmTotpBodySchema) },
    responses: {
      200: jsonResponse("The backup codes", z.object({ backupCodes: z.array(z.string()).length(BACKUP_CODE_COUNT) })),
      400: problemResponse("validation_failed (also a wrong code)"),
      401: problemResponse("unauthorized"),
      409: problemResponse("conflict: no enrolment started, or 2FA is already on"),
    },
  }),
  handler: async (c) => {
    const principal = sessionPrincipalOf(c);
    const userId = principal.userId;
    const { code, endOtherSessions = false } = c.req.valid("json");
    const db = database(c.env.DB);
    const mfa = await findMfa(db, userId);
    if (!mfa || mfa.enabledAt) {
      throw new ApiError("conflict", {
        detail: mfa ? "Two-factor authentication is already on." : "Start an enrolment first.",
      });
    }
    const step = matchTotpStep(await openTotpSecret(c, db, userId, mfa.secretCiphertext), code, Date.now());
    if (step === null) {
      throw new ApiError("validation_failed", {
        errors: [{ path: "code", message: "is not the current code of the app" }],
      });
    }
    const backupCodes = Array.from({ length: BACKUP_CODE_COUNT }, newBackupCode);
    const now = new Date();
    // Other sessions end as on a password change: ONE guard call voids every session created up
    // to now but this one, the guard first (if D1 then fails, they stay ended: the safe side).
    const cut = endOtherSessions
      ? await revokeAllIssuedInGuard(c, userId, {
          sessions: true,
          apiKeys: false,
          keepSession: { sessionId: principal.sessionId, createdAt: principal.sessionCreatedAt },
        })
      : null;
    // The codes are shown once, in this response: 2FA is on with them, or not on at all.
    await enableMfa(
      db,
      userId,
      await Promise.all(backupCodes.map(hashBackupCode)),
      step,
      now,
      auditEventInsert(db, auditContext(c), {
        type: "mfa.enabled",
        userId,
        metadata: cut
          ? { otherSessionsEnded: true, sessionsCreatedUpTo: new Date(cut.cutOff).toISOString() }
          : { otherSessionsEnded: false },
      }),
      cut ? sessionsCutOffUpdate(db, userId, { ...cut, now }) : undefined,
    );
    return c.json({ backupCodes }, 200);
  },
});
