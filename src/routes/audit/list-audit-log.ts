import { createRoute } from "@hono/zod-openapi";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { listAuditEvents } from "../../db/audit";
import { database } from "../../db/client";
import { decodeCursor, toPage } from "../../db/cursor";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";
import { auditEventView, auditPageSchema, auditQuerySchema } from "./audit-view";

export const listAuditLog = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    operationId: "listAuditLog",
    path: "/v1/audit-log",
    tags: ["account"],
    summary: "The caller's own security events, newest first (append-only: no route changes them)",
    description:
      "An operator's action shows as `metadata.by: \"operator\"`, without the operator's `ip` or `requestId`.",
    request: { query: auditQuerySchema },
    responses: {
      200: jsonResponse("A page of events", auditPageSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
    },
  }),
  handler: async (c) => {
    const { limit, cursor, type } = c.req.valid("query");
    const rows = await listAuditEvents(database(c.env.DB), {
      owner: { userId: sessionPrincipalOf(c).userId },
      type,
      limit: limit + 1,
      after: decodeCursor(cursor),
    });
    const page = toPage(rows, limit);
    return c.json({ data: page.rows.map(auditEventView), nextCursor: page.nextCursor }, 200);
  },
});
