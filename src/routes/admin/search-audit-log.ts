import { createRoute } from "@hono/zod-openapi";
import ipaddr from "ipaddr.js";
import * as z from "zod";
import { operatorOnly } from "../../auth/access";
import { searchAuditEvents } from "../../db/audit";
import { database } from "../../db/client";
import { decodeCursor, toPage } from "../../db/cursor";
import type { AuditEvent } from "../../db/schema";
import { normaliseIp } from "../../domain/client-address";
import { auditEventSchema, auditQuerySchema } from "../audit/audit-view";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";

export const adminAuditQuerySchema = auditQuerySchema
  .extend({
    userId: z
      .string()
      .regex(/^usr_[A-Za-z0-9_-]{1,64}$/, { error: "must be a user id" })
      .optional(),
    // Stored addresses are normalised (client-address.ts): the filter is normalised the same way.
    ip: z
      .string()
      .max(64)
      .refine((value) => ipaddr.isValid(value), { error: "must be one IPv4 or IPv6 address" })
      .transform(normaliseIp)
      .optional(),
    from: z.iso.datetime({ error: "must be an ISO-8601 UTC timestamp" }).optional(),
    to: z.iso.datetime({ error: "must be an ISO-8601 UTC timestamp" }).optional(),
  })
  .refine((query) => !query.from || !query.to || query.from < query.to, {
    error: "must be later than from",
    path: ["to"],
  });

/** The operator sees a row whole: addresses and request ids are what an investigation follows. */
const operatorView = (event: AuditEvent) => ({
  id: event.id,
  type: event.type,
  userId: event.userId,
  teamId: event.teamId,
  ip: event.ip,
  requestId: event.requestId,
  metadata: event.metadata,
  createdAt: event.createdAt.toISOString(),
});

export const adminSearchAuditLog = defineEndpoint({
  access: operatorOnly,
  route: createRoute({
    method: "get",
    operationId: "adminSearchAuditLog",
    path: "/v1/admin/audit-log",
    tags: ["operator"],
    summary: "Investigate: every user's security events, newest first, filtered by user, address, type and time",
    description:
      "Filters combine with AND; `from` is inclusive, `to` exclusive. Each filter reads an index that ends in the " +
      "event time, so a page costs the same over a million rows as over a hundred.",
    request: { query: adminAuditQuerySchema },
    responses: {
      200: jsonResponse(
        "A page of events",
        z.object({ data: z.array(auditEventSchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
    },
  }),
  handler: async (c) => {
    const { limit, cursor, userId, ip, type, from, to } = c.req.valid("query");
    const rows = await searchAuditEvents(database(c.env.DB), {
      userId,
      ip,
      type,
      from: from ? new Date(from) : undefined,
      to: to ? new Date(to) : undefined,
      limit: limit + 1,
      after: decodeCursor(cursor),
    });
    const page = toPage(rows, limit);
    return c.json({ data: page.rows.map(operatorView), nextCursor: page.nextCursor }, 200);
  },
});
