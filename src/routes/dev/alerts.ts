import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { developmentOnly } from "../../auth/access";
import { decodeCursor } from "../../db/cursor";
import { alertDesk } from "../../durable-objects/alert-desk";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";

export const alertSchema = z
  .object({
    id: z.string(),
    kind: z.enum(["failed_logins_spike", "account_under_attack", "network_under_attack", "key_rejections_burst"]),
    subject: z.string(),
    observed: z.int(),
    threshold: z.int(),
    minute: z.iso.datetime(),
    raisedAt: z.iso.datetime(),
    environment: z.string(),
    status: z.enum(["pending", "delivered", "failed", "unsent"]),
    attempts: z.int(),
    lastError: z.string().nullable(),
  })
  .meta({ id: "Alert" });

/**
 * The local alert desk: the alerts that were raised (and POSTed, when ALERT_WEBHOOK_URL is set),
 * each with its delivery status, so a developer sees them without a receiver. It exists only
 * when ENVIRONMENT=development (404 elsewhere).
 */
export const devAlerts = defineEndpoint({
  access: developmentOnly,
  route: createRoute({
    method: "get",
    path: "/dev/alerts",
    operationId: "listDevAlerts",
    tags: ["development"],
    summary: "Development only: the alerts raised, newest first, with their delivery status",
    request: { query: paginationQuerySchema },
    responses: {
      200: jsonResponse(
        "A page of alerts",
        z.object({ data: z.array(alertSchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      404: problemResponse("not_found outside development"),
    },
  }),
  handler: async (c) => {
    const { limit, cursor } = c.req.valid("query");
    // A malformed cursor is the client's 400 here, never a failed call to the desk.
    decodeCursor(cursor);
    const page = await alertDesk(c.env).list(limit, cursor ?? null);
    return c.json(page, 200);
  },
});
