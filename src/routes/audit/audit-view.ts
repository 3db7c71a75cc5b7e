import * as z from "zod";
import type { AuditEvent } from "../../db/schema";
import { paginationQuerySchema } from "../schemas";

export const auditEventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    userId: z.string().nullable(),
    teamId: z.string().nullable(),
    ip: z.string().nullable(),
    requestId: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "AuditEvent" });

export const auditQuerySchema = paginationQuerySchema.extend({
  type: z
    .string()
    .regex(/^[a-z_]+\.[a-z_]+$/, { error: "must be an event type such as auth.login" })
    .optional(),
});

export const auditPageSchema = z.object({ data: z.array(auditEventSchema), nextCursor: z.string().nullable() });

export function auditEventView(event: AuditEvent) {
  return {
    id: event.id,
    type: event.type,
    userId: event.userId,
    teamId: event.teamId,
    ip: event.ip,
    requestId: event.requestId,
    metadata: event.metadata,
    createdAt: event.createdAt.toISOString(),
  };
}
