import { createRoute } from "@hono/zod-openapi";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { clearSessionCookieOf } from "../../auth/session-cookie";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { revokeSessions } from "../sessions/revoke-sessions";

export const logout = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "logout",
    path: "/v1/auth/logout",
    tags: ["auth"],
    summary: "End this session: its tokens fail from the next request on",
    responses: { 204: { description: "Logged out" }, 401: problemResponse("unauthorized") },
  }),
  handler: async (c) => {
    const principal = sessionPrincipalOf(c);
    const { userId, sessionId } = principal;
    await revokeSessions(c, userId, [sessionId], { type: "auth.logout", userId, metadata: { sessionId } });
    clearSessionCookieOf(c, principal);
    return c.body(null, 204);
  },
});
