import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { withIpGuard } from "../../durable-objects/guard-client";
import { operatorOnly } from "../access";
import { auditContext } from "../audit-context";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, plainText, problemResponse } from "../schemas";
import { ipSchema } from "./ip-address";

export const createIpBlockBodySchema = z.strictObject({
  ip: ipSchema,
  reason: plainText({ max: 500, trim: true }),
  expiresAt: z.iso
    .datetime()
    .refine((value) => Date.parse(value) > Date.now(), { error: "must be in the future" })
    .optional(),
});

export const ipBlockSchema = z
  .object({ ip: z.string(), reason: z.string(), expiresAt: z.iso.datetime().nullable(), createdAt: z.iso.datetime() })
  .meta({ id: "IpBlock" });

export const adminCreateIpBlock = defineEndpoint({
  access: operatorOnly,
  route: createRoute({
    method: "post",
    path: "/v1/admin/ip-blocks",
    tags: ["operator"],
    summary: "Contain: every request from this IP gets 403 ip_blocked, from the next one on",
    request: { body: jsonBody(createIpBlockBodySchema) },
    responses: {
      201: jsonResponse("The block", ipBlockSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
    },
  }),
  handler: async (c) => {
    const { ip, reason, expiresAt } = c.req.valid("json");
    const until = expiresAt ? Date.parse(expiresAt) : null;
    await withIpGuard(c.env, ip, (guard) => guard.block(reason, until));
    await recordAuditEvent(database(c.env.DB), auditContext(c), {
      type: "admin.ip_blocked",
      metadata: { by: "operator", blockedIp: ip, reason, expiresAt: expiresAt ?? null },
    });
    return c.json(
      {
        ip,
        reason,
        expiresAt: until === null ? null : new Date(until).toISOString(),
        createdAt: new Date().toISOString(),
      },
      201,
    );
  },
});
