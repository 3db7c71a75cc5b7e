import { createRoute } from "@hono/zod-openapi";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { listLiveSessionIds } from "../../db/sessions";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { revokeSessions } from "../sessions/revoke-sessions";

export const logoutAll = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    path: "/v1/auth/logout-all",
    tags: ["auth"],
    summary: "End every session of the user, this one included",
    responses: { 204: { description: "All sessions ended" }, 401: problemResponse("unauthorized") },
  }),
  handler: async (c) => {
    const { userId, sessionId } = sessionPrincipalOf(c);
    const db = database(c.env.DB);
    const sessionIds = new Set(await listLiveSessionIds(db, userId, new Date()));
    sessionIds.add(sessionId);
    await revokeSessions(c, userId, [...sessionIds], {
      type: "auth.logout_all",
      userId,
      metadata: { sessionCount: sessionIds.size },
    });
    return c.body(null, 204);
  },
});
