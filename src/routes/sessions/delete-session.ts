import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { clearSessionCookieOf } from "../../auth/session-cookie";
import { database } from "../../db/client";
import { findLiveSession } from "../../db/sessions";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { revokeSessions } from "./revoke-sessions";

export const deleteSession = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "delete",
    operationId: "revokeSession",
    path: "/v1/sessions/{id}",
    tags: ["account"],
    summary: "Revoke one of the user's sessions",
    request: { params: z.strictObject({ id: z.string().max(100) }) },
    responses: {
      204: { description: "Revoked" },
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found (also for another user's session)"),
    },
  }),
  handler: async (c) => {
    const { id } = c.req.valid("param");
    const principal = sessionPrincipalOf(c);
    const { userId } = principal;
    const db = database(c.env.DB);
    // The tenant filter is part of the lookup: another user's session id is simply not found.
    const session = await findLiveSession(db, userId, id, new Date());
    if (!session) throw new ApiError("not_found");
    await revokeSessions(c, userId, [session.id], {
      type: "session.revoked",
      userId,
      metadata: { sessionId: session.id },
    });
    if (session.id === principal.sessionId) clearSessionCookieOf(c, principal);
    return c.body(null, 204);
  },
});
