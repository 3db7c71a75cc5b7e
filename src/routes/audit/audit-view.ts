import * as z from "zod";
import type { AuditEvent } from "../../db/schema";
import type { TeamRole } from "../../domain/permissions";
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

/** Rows written by an operator route: `auditContext` marks every one of them. */
const byOperator = (event: AuditEvent) => event.metadata.by === "operator";

/**
 * A row as the user it is about sees it (their own log, their export). An operator's action shows
 * as `metadata.by: "operator"`, without the operator's address or request id: those are kept in
 * D1 for the operator's own review, not handed to the user the action was taken on.
 */
export function auditEventView(event: AuditEvent) {
  const hidden = byOperator(event);
  return {
    id: event.id,
    type: event.type,
    userId: event.userId,
    teamId: event.teamId,
    ip: hidden ? null : event.ip,
    requestId: hidden ? null : event.requestId,
    metadata: event.metadata,
    createdAt: event.createdAt.toISOString(),
  };
}

/**
 * A row of a team's log as `viewerRole` sees it: members' addresses go to owners only, who answer
 * for the team (billing, deletion, removing members) and may need them to look into abuse; admins
 * manage settings and invitations, which needs what happened, not where each member was.
 */
export function teamAuditEventView(viewerRole: TeamRole) {
  return (event: AuditEvent) => {
    const view = auditEventView(event);
    return viewerRole === "owner" ? view : { ...view, ip: null };
  };
}
