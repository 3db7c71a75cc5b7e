import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { verifyPassword } from "../../crypto/password";
import { eraseUserRows, imageKeysOf, soleOwnedTeams } from "../../db/account";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { findUserById } from "../../db/users";
import { withAccountGuard, withUserGuard } from "../../durable-objects/guard-client";
import { ApiError } from "../../errors";
import { sessionPrincipalOf } from "../../middleware/authenticate";
import { sessionOnly } from "../access";
import { guardedPasswordCheck } from "../auth/guarded-password-check";
import { defineEndpoint } from "../endpoint";
import { jsonBody, problemResponse } from "../schemas";

export const deleteAccountBodySchema = z.strictObject({ password: z.string().min(1).max(1024) });

export const deleteAccount = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "delete",
    path: "/v1/account",
    tags: ["account"],
    summary: "Erase the account and everything of it (GDPR Art. 17); every credential dies at once",
    request: { body: jsonBody(deleteAccountBodySchema) },
    responses: {
      204: { description: "Erased" },
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized, or invalid_credentials for a wrong password"),
      403: problemResponse("forbidden"),
      409: problemResponse("conflict: sole owner of a team that has other members"),
    },
  }),
  handler: async (c) => {
    const { password } = c.req.valid("json");
    const db = database(c.env.DB);
    const user = await findUserById(db, sessionPrincipalOf(c).userId);
    if (!user) throw new ApiError("not_found");
    const { passed } = await guardedPasswordCheck(c, {
      email: user.email,
      userId: user.id,
      context: "account_erasure",
      verify: () => verifyPassword(password, user.passwordHash),
    });
    if (!passed) throw new ApiError("invalid_credentials", { detail: "The password is wrong." });

    // Decide everything before destroying anything.
    const owned = await soleOwnedTeams(db, user.id);
    if (owned.some((team) => team.members > 1)) {
      throw new ApiError("conflict", {
        detail: "You are the only owner of a team with other members: make someone else owner or remove them first.",
      });
    }
    const teamsToDelete = owned.map((team) => team.teamId);

    // Credentials die first: the user's guard keeps only a tombstone that refuses them all.
    await withUserGuard(c.env, user.id, (guard) => guard.eraseUser());
    await withAccountGuard(c.env, user.email, (guard) => guard.clearLock());
    const keys = await imageKeysOf(db, user.id, teamsToDelete);
    for (let start = 0; start < keys.length; start += 1000) await c.env.IMAGES.delete(keys.slice(start, start + 1000));
    await eraseUserRows(db, user, teamsToDelete);
    // The erasure itself is recorded without anything that identifies the person.
    await recordAuditEvent(db, { requestId: c.get("requestId"), ip: null }, { type: "account.erased" });
    return c.body(null, 204);
  },
});
