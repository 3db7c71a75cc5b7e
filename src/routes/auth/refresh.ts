import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sessionPrincipalOf } from "../../auth/principal";
import { signingKeys } from "../../auth/signing-keys";
import { issueSessionToken } from "../../crypto/jwt";
import { recordAuditEventAtMostEvery } from "../../db/audit";
import { database } from "../../db/client";
import { extendSession } from "../../db/sessions";
import { ApiError } from "../../errors";
import { withUserGuard } from "../../services/guard-client";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";
import { deliverSessionToken } from "./start-session";

const REFRESH_AUDIT_INTERVAL_MS = 24 * 60 * 60 * 1000;

export const refreshResponseSchema = z.union([
  z.object({ token: z.string(), expiresAt: z.iso.datetime() }),
  z.object({ expiresAt: z.iso.datetime(), csrfToken: z.string() }).describe("cookie session: the cookie is re-set"),
]);

export const refresh = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "refreshToken",
    path: "/v1/auth/refresh",
    tags: ["auth"],
    summary: "Trade the presented token for a fresh one of the same session",
    responses: {
      200: jsonResponse("A new token (in the cookie for a cookie session); the old one is dead", refreshResponseSchema),
      401: problemResponse("unauthorized"),
    },
  }),
  handler: async (c) => {
    const principal = sessionPrincipalOf(c);
    // The guard answers false if this token was already retired: of two concurrent refreshes
    // with one token, exactly one gets a new token.
    const retired = await withUserGuard(c.env, principal.userId, (guard) =>
      guard.revokeToken(principal.tokenId, principal.expiresAt),
    );
    if (!retired) throw new ApiError("unauthorized");
    c.set("tokenRetired", true);
    const { token, expiresAt } = await issueSessionToken(principal, signingKeys(c));
    const db = database(c.env.DB);
    await extendSession(db, principal.sessionId, expiresAt);
    // Once per session and day: a client refreshing on every call (100/min) would otherwise write
    // 144,000 rows a day that say nothing the first one did not.
    await recordAuditEventAtMostEvery(
      db,
      auditContext(c),
      { type: "auth.token_refreshed", userId: principal.userId, metadata: { sessionId: principal.sessionId } },
      { withinMs: REFRESH_AUDIT_INTERVAL_MS, sameMetadata: ["sessionId"] },
    );
    // A browser's new token goes into its cookie; script gets only the (unchanged) CSRF token.
    if (principal.via === "cookie") {
      return c.json(await deliverSessionToken(c, "cookie", token, principal.sessionId, expiresAt), 200);
    }
    return c.json({ token, expiresAt: expiresAt.toISOString() }, 200);
  },
});
