import { createRoute } from "@hono/zod-openapi";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sessionPrincipalOf } from "../../auth/principal";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { findOwnPasskey, removePasskeyKeepingAWayIn } from "../../db/passkeys";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { passkeyIdParams } from "./passkey-view";

export const deletePasskey = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "delete",
    operationId: "deletePasskey",
    path: "/v1/me/passkeys/{id}",
    tags: ["passkeys"],
    summary: "Remove a passkey: it no longer signs in",
    request: { params: passkeyIdParams },
    responses: {
      204: { description: "Removed" },
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found (also another user's passkey)"),
      409: problemResponse("conflict: it is the last way to sign in"),
    },
  }),
  handler: async (c) => {
    const principal = sessionPrincipalOf(c);
    const db = database(c.env.DB);
    const passkey = await findOwnPasskey(db, principal.userId, c.req.valid("param").id);
    if (!passkey) throw new ApiError("not_found");
    // An account must keep a way in: without it, only the operator could give it back.
    if (!(await removePasskeyKeepingAWayIn(db, principal.userId, passkey.id))) {
      throw new ApiError("conflict", { detail: "This passkey is your last way to sign in: add another one first." });
    }
    await recordAuditEvent(db, auditContext(c), {
      type: "passkey.removed",
      userId: principal.userId,
      metadata: { passkeyId: passkey.id },
    });
    return c.body(null, 204);
  },
});
