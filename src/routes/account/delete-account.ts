import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { clearSessionCookieOf } from "../../auth/session-cookie";
import { verifyPassword } from "../../crypto/password";
import { eraseUserRows, imageKeysOf, soleOwnedTeams } from "../../db/account";
import { type Database, database } from "../../db/client";
import type { User } from "../../db/schema";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { withAccountGuard, withUserGuard } from "../../services/guard-client";
import { purgeAfterCommit, queueImagePurge } from "../../services/image-purge";
import { guardedPasswordCheck } from "../auth/guarded-password-check";
import { consumeSecondFactor, isTwoFactorEnabled } from "../auth/second-factor";
import { defineEndpoint } from "../endpoint";
import { jsonBody, problemResponse } from "../schemas";

const soleOwnerConflict = () =>
  new ApiError("conflict", {
    detail: "You are the only owner of a team with other members: make someone else owner or remove them first.",
  });

/**
 * Erases the rows, deciding first which teams go with the user (those they own alone) and
 * refusing (409) while they are the only owner of a team with others in it. The batch checks the
 * rule again inside its transaction and fails whole if a concurrent change broke it (another
 * owner erased their account or was demoted since): then the decision is taken again, once, on
 * what has committed: a 409 if the user is now the last owner of a team with members; a new
 * plan if a co-owned team is now theirs alone. Returns the image purge to finish after commit.
 */
async function eraseWithOwnersKept(bucket: R2Bucket, db: Database, user: User, requestId: string) {
  for (let attempt = 1; ; attempt++) {
    const owned = await soleOwnedTeams(db, user.id);
    if (owned.some((team) => team.members > 1)) throw soleOwnerConflict();
    const teamsToDelete = owned.map((team) => team.teamId);
    const purge = await queueImagePurge(bucket, await imageKeysOf(db, user.id, teamsToDelete));
    try {
      await eraseUserRows(db, user, teamsToDelete, { requestId });
      return purge;
    } catch (error) {
      // The batch changed nothing; a purge list it leaves is finished by the sweep, which deletes
      // no byte a row still references.
      const now = await soleOwnedTeams(db, user.id);
      if (now.some((team) => team.members > 1)) throw soleOwnerConflict();
      const changed =
        now
          .map((team) => team.teamId)
          .sort()
          .join() !== [...teamsToDelete].sort().join();
      if (attempt >= 2 || !changed) throw error;
    }
  }
}

/** The password, and with 2FA on a TOTP `code` or a `backupCode` too (never both). */
export const deleteAccountBodySchema = z
  .strictObject({
    password: z.string().min(1).max(1024),
    code: z.string().max(16).optional(),
    backupCode: z.string().max(32).optional(),
  })
  .refine((body) => body.code === undefined || body.backupCode === undefined, {
    error: "send at most one of code and backupCode",
    path: ["code"],
  });

export const deleteAccount = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "delete",
    operationId: "deleteAccount",
    path: "/v1/account",
    tags: ["account"],
    summary: "Erase the account and everything of it (GDPR Art. 17); every credential dies at once",
    description:
      "With 2FA on, a TOTP `code` or a `backupCode` is needed besides the password; a wrong one counts as a failed " +
      "login, like a wrong password.",
    request: { body: jsonBody(deleteAccountBodySchema) },
    responses: {
      204: { description: "Erased" },
      400: problemResponse("validation_failed (also a missing code with 2FA on)"),
      401: problemResponse("unauthorized, or invalid_credentials for a wrong password or code"),
      403: problemResponse("forbidden"),
      409: problemResponse("conflict: sole owner of a team that has other members"),
    },
  }),
  handler: async (c) => {
    const { password, code, backupCode } = c.req.valid("json");
    const db = database(c.env.DB);
    const principal = sessionPrincipalOf(c);
    const user = await findUserById(db, principal.userId);
    if (!user) {
      // Only an erasure removes a user, and ids are never reused: the rows are gone but the
      // guard admitted this token, so an earlier erasure could not reach the guard after its
      // commit. Finishing it (the tombstone) is all that is left, and needs no password. The
      // account guard is left alone: the token's email may since belong to someone else.
      await withUserGuard(c.env, principal.userId, (guard) => guard.eraseUser());
      clearSessionCookieOf(c, principal);
      return c.body(null, 204);
    }
    // Step-up: with 2FA on, the password alone (a stolen one, or a session left open) erases
    // nothing. Asked before any guess is counted; a missing code runs no bcrypt.
    const twoFactor = await isTwoFactorEnabled(c, user.id);
    if (twoFactor && code === undefined && backupCode === undefined) {
      throw new ApiError("validation_failed", {
        errors: [{ path: "code", message: "2FA is on: send a code from the app, or a backup code" }],
      });
    }
    // Password and code are one guess for the lockout (as for turning 2FA off): both must be
    // right, and the code is used up only after the password matched.
    const { passed } = await guardedPasswordCheck(c, {
      email: user.email,
      userId: user.id,
      context: "account_erasure",
      verify: async () =>
        (await verifyPassword(password, user.passwordHash)) &&
        (!twoFactor || (await consumeSecondFactor(c, user.id, { code, backupCode })) !== null),
    });
    if (!passed) throw new ApiError("invalid_credentials", { detail: "The password or the code is wrong." });

    // Decide everything before destroying anything. The rows go first, in one transaction
    // (with the erasure's audit row, which identifies nobody): if D1 fails, nothing at all has
    // happened and the user still has everything. Only then do the credentials die (the guard
    // keeps a tombstone that refuses them all; if it cannot be reached, the 503 asks for a
    // retry, which finishes the job above) and the image bytes go, whatever the guard did (see
    // image-purge.ts).
    const purge = await eraseWithOwnersKept(c.env.IMAGES, db, user, c.get("requestId"));
    try {
      await withUserGuard(c.env, user.id, (guard) => guard.eraseUser());
      await withAccountGuard(c.env, user.email, (guard) => guard.clearLock());
    } finally {
      await purgeAfterCommit(c.env.IMAGES, purge);
    }
    clearSessionCookieOf(c, principal);
    return c.body(null, 204);
  },
});
