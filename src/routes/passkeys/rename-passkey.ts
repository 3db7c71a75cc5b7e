import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sessionPrincipalOf } from "../../auth/principal";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { renamePasskey } from "../../db/passkeys";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../schemas";
import { passkeyIdParams, passkeyNameSchema, passkeySchema, passkeyView } from "./passkey-view";

export const renamePasskeyEndpoint = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "patch",
    operationId: "renamePasskey",
    path: "/v1/me/passkeys/{id}",
    tags: ["passkeys"],
    summary: "Rename a passkey",
    request: { params: passkeyIdParams, body: jsonBody(z.strictObject({ name: passkeyNameSchema })) },
    responses: {
      200: jsonResponse("The passkey", passkeySchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found (also another user's passkey)"),
    },
  }),
  handler: async (c) => {
    const principal = sessionPrincipalOf(c);
    const db = database(c.env.DB);
    const { name } = c.req.valid("json");
    const passkey = await renamePasskey(db, principal.userId, c.req.valid("param").id, name);
    if (!passkey) throw new ApiError("not_found");
    await recordAuditEvent(db, auditContext(c), {
      type: "passkey.renamed",
      userId: principal.userId,
      metadata: { passkeyId: passkey.id },
    });
    return c.json(passkeyView(passkey), 200);
  },
});
