import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { signingKeys } from "../../auth/signing-keys";
import { csrfTokenFor } from "../../crypto/csrf";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";

export const csrfTokenResponseSchema = z.object({ csrfToken: z.string() }).meta({ id: "CsrfToken" });

export const getCsrfToken = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    operationId: "getCsrfToken",
    path: "/v1/auth/csrf",
    tags: ["auth"],
    summary: "The session's CSRF token (for a page that was reloaded and holds only the cookie)",
    description:
      "Send it as `X-CSRF-Token` with every state-changing request made with the session cookie. It is bound to " +
      "the session and stays the same for its whole life. A GET is all it takes: a cross-site page cannot read " +
      "the answer (no CORS for foreign origins), and SameSite=Strict keeps the cookie off cross-site requests.",
    responses: {
      200: jsonResponse("The CSRF token of this session", csrfTokenResponseSchema),
      401: problemResponse("unauthorized"),
    },
  }),
  handler: async (c) => {
    const { sessionId } = sessionPrincipalOf(c);
    return c.json({ csrfToken: await csrfTokenFor(sessionId, signingKeys(c)) }, 200);
  },
});
