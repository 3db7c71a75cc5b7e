import { createRoute } from "@hono/zod-openapi";
import { sessionOnly } from "../../../auth/access";
import { auditContext } from "../../../auth/audit-context";
import { sessionPrincipalOf } from "../../../auth/principal";
import { recordAuditEvent } from "../../../db/audit";
import { database } from "../../../db/client";
import { removeIdentity } from "../../../db/identities";
import { ApiError } from "../../../errors";
import { defineEndpoint } from "../../endpoint";
import { problemResponse } from "../../schemas";
import { identityIdParams } from "./identity-view";

export const deleteIdentity = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "delete",
    operationId: "unlinkIdentity",
    path: "/v1/me/identities/{id}",
    tags: ["account"],
    summary: "Unlink a provider account; refused (409 conflict) when it is the last way to sign in",
    description:
      "The ways to sign in are the password (unless the account was created by a provider and never set one) " +
      "and every linked identity. Set a password (forgot-password link) or link another provider first.",
    request: { params: identityIdParams },
    responses: {
      204: { description: "Unlinked" },
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden, or csrf_failed"),
      404: problemResponse("not_found (also another user's identity)"),
      409: problemResponse("conflict (the last way to sign in)"),
    },
  }),
  handler: async (c) => {
    const { userId } = sessionPrincipalOf(c);
    const db = database(c.env.DB);
    const outcome = await removeIdentity(db, userId, c.req.valid("param").id);
    if (outcome === "not_found") throw new ApiError("not_found");
    if (outcome === "last_method") {
      throw new ApiError("conflict", {
        detail: "This is your last way to sign in: set a password or link another provider first.",
      });
    }
    await recordAuditEvent(db, auditContext(c), {
      type: "identity.removed",
      userId,
      metadata: { identityId: outcome.removed.id, provider: outcome.removed.provider },
    });
    return c.body(null, 204);
  },
});
