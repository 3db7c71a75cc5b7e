import type { Context } from "hono";
import { auditContext } from "../auth/audit-context";
import { principalOf } from "../auth/principal";
import { recordAuditEvent } from "../db/audit";
import { database } from "../db/client";
import { findMemberRole } from "../db/teams";
import { hasPermission, type TeamAction, type TeamRole } from "../domain/permissions";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";

/**
 * Who owns an object: a user alone (`teamId` null) or a team. A team's object whose creator
 * erased their account has `userId` null; only the team's roles decide over it.
 */
export interface Owner {
  userId: string | null;
  teamId: string | null;
}

function declaredAction(c: Context<AppEnv>): TeamAction {
  const access = c.get("access");
  if (access && "action" in access && access.action) return access.action;
  throw new Error("route declares no team action");
}

/**
 * Checks the caller's right to act on a team with the action the route declared (or `action`).
 * Not a member: 404, as if the team did not exist. A member whose role lacks the permission:
 * 403, audited as access.denied. Returns the caller's role, read from D1 on this request.
 */
export async function authorizeTeam(c: Context<AppEnv>, teamId: string, action = declaredAction(c)): Promise<TeamRole> {
  const principal = principalOf(c);
  const db = database(c.env.DB);
  const role = await findMemberRole(db, teamId, principal.userId);
  if (!role) throw new ApiError("not_found");
  if (!hasPermission(role, action)) {
    await recordAuditEvent(db, auditContext(c), {
      type: "access.denied",
      userId: principal.userId,
      teamId,
      metadata: { action, role, route: `${c.req.method} ${c.req.routePath}` },
    });
    throw new ApiError("forbidden", { detail: `Your role in this team does not allow "${action}".` });
  }
  return role;
}

/**
 * Checks the caller's right to act on an owned object (already found through a tenant-filtered
 * query): its owner alone for a personal object, or by team role for a team's.
 */
export async function authorizeOwner(c: Context<AppEnv>, owner: Owner, action = declaredAction(c)): Promise<void> {
  if (owner.teamId !== null) {
    await authorizeTeam(c, owner.teamId, action);
    return;
  }
  if (owner.userId !== principalOf(c).userId) throw new ApiError("not_found");
}
