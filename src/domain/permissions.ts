/**
 * The product's role matrix (API.md "Teams"), the one place that answers "may this role do
 * that?". Roles are read from D1 on every request, never from a token, so a demotion or a
 * removal takes effect on the very next request.
 */
export const teamRoles = ["owner", "admin", "member", "viewer"] as const;
export type TeamRole = (typeof teamRoles)[number];

export const teamActions = ["view", "comment", "edit", "invite", "manage_settings", "billing", "delete_team"] as const;
export type TeamAction = (typeof teamActions)[number];

const grants: Record<TeamRole, readonly TeamAction[] | "*"> = {
  owner: "*",
  admin: ["invite", "manage_settings", "edit", "view"],
  member: ["edit", "view", "comment"],
  viewer: ["view"],
};

export function hasPermission(role: TeamRole, action: TeamAction): boolean {
  const granted = grants[role];
  return granted === "*" || granted.includes(action);
}

/**
 * Whether `actor` may give `target` the role `newRole` (or remove them, `newRole` = null).
 * Membership is managed with the `invite` permission; only an owner may create, change or
 * remove an owner (an admin can neither make an owner nor remove one).
 */
export function mayManageMember(actor: TeamRole, target: TeamRole | null, newRole: TeamRole | null): boolean {
  if (!hasPermission(actor, "invite")) return false;
  if (actor === "owner") return true;
  return target !== "owner" && newRole !== "owner";
}
