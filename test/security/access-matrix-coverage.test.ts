// OWASP API5:2023 (broken function level authorization), API1:2023; ASVS 5.0 V8.1.1 (the
// authorization rules are written down, and here held to the code's declared policies and to
// src/domain/permissions.ts), V8.2.1, V8.2.2. The access matrix (test/helpers/access-matrix-table.ts)
// has a row for every registered route, so a new route fails here until its row is written
// (and then fails its area's access-matrix-*.test.ts until its row is probed); and the table
// agrees with what each route declares (auth kind, key scope, team action) and with the role
// matrix. The cells themselves are sent as real requests by the area files.
import { describe, expect, it } from "vitest";
import type { AccessPolicy } from "../../src/auth/access";
import { hasPermission, mayManageMember, type TeamRole, teamRoles } from "../../src/domain/permissions";
import { endpoints } from "../../src/routes/index";
import { type MatrixRow, type Principal, parseAccessMatrix, principals } from "../helpers/access-matrix";

const rows = parseAccessMatrix();
const routeOf = (endpoint: (typeof endpoints)[number]) =>
  `${endpoint.route.method.toUpperCase()} ${endpoint.route.path}`;
const policies = new Map<string, AccessPolicy>(endpoints.map((endpoint) => [routeOf(endpoint), endpoint.access]));
const policyOf = (row: MatrixRow) => {
  const policy = policies.get(row.route);
  if (!policy) throw new Error(`${row.route} is not a registered route`);
  return policy;
};
const allowed = (status: number) => status < 300;

/** Rows whose rule narrows the team permission further (membership management: API.md "Teams"). */
const membershipRules: Record<string, (role: TeamRole) => boolean> = {
  "POST /v1/teams/{id}/invitations [role viewer]": (role) => mayManageMember(role, null, "viewer"),
  "POST /v1/teams/{id}/invitations [role owner]": (role) => mayManageMember(role, null, "owner"),
  "PATCH /v1/teams/{id}/members/{userId} [viewer to member]": (role) => mayManageMember(role, "viewer", "member"),
  "PATCH /v1/teams/{id}/members/{userId} [viewer to owner]": (role) => mayManageMember(role, "viewer", "owner"),
  "DELETE /v1/teams/{id}/members/{userId} [a viewer]": (role) => mayManageMember(role, "viewer", null),
  "DELETE /v1/teams/{id}/members/{userId} [an owner]": (role) => mayManageMember(role, "owner", null),
  // Leaving needs membership only (a co-owner may leave; the last owner gets 409, not tabled here).
  "DELETE /v1/teams/{id}/members/{userId} [the caller themself]": (role) => hasPermission(role, "view"),
};

/** Rows about an object (or a list, or a create) of team T: the team role decides. */
const aboutTeamT = (row: MatrixRow) =>
  /\[(T's|teamId=T)/.test(row.key) || (row.route.includes("/v1/teams/{id}") && "action" in policyOf(row));

/** Rows about the owner's personal object: only its owner (and the owner's keys) may know of it. */
const aboutOwnersPersonalObject = (row: MatrixRow) => row.key.includes("[owner's personal");

const keyColumns = { key_read: "read", key_generate: "generate", key_manage: "manage" } as const;

/** Collects "row: principal" for every cell where `wrong` holds. */
function offending(select: (row: MatrixRow) => boolean, wrong: (row: MatrixRow, principal: Principal) => boolean) {
  return rows
    .filter(select)
    .flatMap((row) =>
      principals.filter((principal) => wrong(row, principal)).map((principal) => `${row.key}: ${principal}`),
    );
}

describe("the access matrix table", () => {
  it("has a row for every registered route, and no row for a route that does not exist", () => {
    const tabled = [...new Set(rows.map((row) => row.route))].sort();
    expect(tabled).toEqual(endpoints.map(routeOf).sort());
  });

  it("has no row twice", () => {
    const keys = rows.map((row) => row.key);
    expect(keys.filter((key, index) => keys.indexOf(key) !== index)).toEqual([]);
  });

  it("public routes answer every caller alike (a credential neither opens nor changes them)", () => {
    const isPublic = (row: MatrixRow) => ["public", "development"].includes(policyOf(row).auth);
    expect(offending(isPublic, (row, principal) => row.expected[principal] !== row.expected.anonymous)).toEqual([]);
  });

  it("operator routes: the operator alone; every user credential and none at all get 401", () => {
    const isOperator = (row: MatrixRow) => policyOf(row).auth === "operator";
    expect(
      offending(isOperator, (row, principal) =>
        principal === "operator" ? !allowed(row.expected.operator) : row.expected[principal] !== 401,
      ),
    ).toEqual([]);
  });

  it("user routes: no credential, or the operator token, gets 401", () => {
    const isUserRoute = (row: MatrixRow) => ["session", "session_or_key"].includes(policyOf(row).auth);
    expect(
      offending(
        isUserRoute,
        (row, principal) => ["anonymous", "operator"].includes(principal) && row.expected[principal] !== 401,
      ),
    ).toEqual([]);
  });

  it("session-only routes refuse every API key with 403 (API.md: 403 forbidden)", () => {
    const isSessionOnly = (row: MatrixRow) => policyOf(row).auth === "session";
    expect(
      offending(
        isSessionOnly,
        (row, principal) => (principal in keyColumns || principal === "viewerKey") && row.expected[principal] !== 403,
      ),
    ).toEqual([]);
  });

  it("a key without the route's scope gets 403; with it, exactly what its user gets", () => {
    const takesKeys = (row: MatrixRow) => policyOf(row).auth === "session_or_key";
    expect(
      offending(takesKeys, (row, principal) => {
        const policy = policyOf(row) as Extract<AccessPolicy, { auth: "session_or_key" }>;
        if (principal === "viewerKey") return row.expected.viewerKey !== row.expected.viewer;
        if (!(principal in keyColumns)) return false;
        const scope = keyColumns[principal as keyof typeof keyColumns];
        return row.expected[principal] !== (scope === policy.scope ? row.expected.owner : 403);
      }),
    ).toEqual([]);
  });

  it("on team T's objects, each role gets what permissions.ts grants it (403 otherwise), outsiders 404", () => {
    expect(
      offending(aboutTeamT, (row, principal) => {
        const status = row.expected[principal];
        if (principal === "otherUser" || principal === "otherTeamOwner") return status !== 404;
        if (!(teamRoles as readonly string[]).includes(principal)) return false;
        const role = principal as TeamRole;
        const policy = policyOf(row);
        if (!("action" in policy) || !policy.action) return true;
        const granted = membershipRules[row.key]?.(role) ?? hasPermission(role, policy.action);
        // Another team's object named through T's path: a role allowed the action still gets 404.
        if (row.key.includes("[another team's]")) return granted ? status !== 404 : status !== 403;
        return granted ? !allowed(status) : status !== 403;
      }),
    ).toEqual([]);
  });

  it("on the owner's personal objects, everyone but the owner (and the owner's keys) gets 404 or 401/403", () => {
    expect(
      offending(aboutOwnersPersonalObject, (row, principal) => {
        const status = row.expected[principal];
        if (["otherUser", "otherTeamOwner", "viewer", "member", "admin", "viewerKey"].includes(principal)) {
          return status !== 404;
        }
        return principal === "owner" && !allowed(status);
      }),
    ).toEqual([]);
  });
});
