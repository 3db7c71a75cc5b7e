import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../../auth/access";
import { auditContext } from "../../../auth/audit-context";
import { sessionPrincipalOf } from "../../../auth/principal";
import { randomToken } from "../../../crypto/random";
import { openSecret } from "../../../crypto/secret-box";
import { auditEventInsert } from "../../../db/audit";
import { database } from "../../../db/client";
import { enableMfa, findMfa } from "../../../db/mfa";
import { matchTotpStep } from "../../../domain/totp";
import { ApiError } from "../../../errors";
import { hashBackupCode, totpKey } from "../../auth/second-factor";
import { defineEndpoint } from "../../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../../schemas";

const BACKUP_CODE_COUNT = 10;

/** `xxxxx-xxxxx` from 64 random bits: enough that guessing one is hopeless, short enough to type. */
function newBackupCode(): string {
  const raw = randomToken(8)
    .toLowerCase()
    .replaceAll(/[^a-z0-9]/g, "")
    .padEnd(10, "0")
    .slice(0, 10);
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

export const confirmTotp = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    path: "/v1/me/2fa/totp/confirm",
    tags: ["two-factor"],
    summary: "Turn 2FA on with a code from the app; answers 10 backup codes, shown once",
    request: { body: jsonBody(z.strictObject({ code: z.string().max(16) })) },
    responses: {
      200: jsonResponse("The backup codes", z.object({ backupCodes: z.array(z.string()).length(BACKUP_CODE_COUNT) })),
      400: problemResponse("validation_failed (also a wrong code)"),
      401: problemResponse("unauthorized"),
      409: problemResponse("conflict: no enrolment started, or 2FA is already on"),
    },
  }),
  handler: async (c) => {
    const userId = sessionPrincipalOf(c).userId;
    const db = database(c.env.DB);
    const mfa = await findMfa(db, userId);
    if (!mfa || mfa.enabledAt) {
      throw new ApiError("conflict", {
        detail: mfa ? "Two-factor authentication is already on." : "Start an enrolment first.",
      });
    }
    const step = matchTotpStep(
      await openSecret(mfa.secretCiphertext, totpKey(c)),
      c.req.valid("json").code,
      Date.now(),
    );
    if (step === null) {
      throw new ApiError("validation_failed", {
        errors: [{ path: "code", message: "is not the current code of the app" }],
      });
    }
    const backupCodes = Array.from({ length: BACKUP_CODE_COUNT }, newBackupCode);
    // The codes are shown once, in this response: 2FA is on with them, or not on at all.
    await enableMfa(
      db,
      userId,
      await Promise.all(backupCodes.map(hashBackupCode)),
      step,
      new Date(),
      auditEventInsert(db, auditContext(c), { type: "mfa.enabled", userId }),
    );
    return c.json({ backupCodes }, 200);
  },
});
