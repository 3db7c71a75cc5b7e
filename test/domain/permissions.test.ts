import { describe, expect, it } from "vitest";
import {
  hasPermission,
  mayManageMember,
  type TeamAction,
  type TeamRole,
  teamActions,
  teamRoles,
} from "../../src/domain/permissions";

// The product's matrix, written out in full: a change to the code must change this table too.
const expected: Record<TeamRole, Record<TeamAction, boolean>> = {
  owner: {
    view: true,
    comment: true,
    edit: true,
    invite: true,
    manage_settings: true,
    billing: true,
    delete_team: true,
  },
  admin: {
    view: true,
    comment: false,
    edit: true,
    invite: true,
    manage_settings: true,
    billing: false,
    delete_team: false,
  },
  member: {
    view: true,
    comment: true,
    edit: true,
    invite: false,
    manage_settings: false,
    billing: false,
    delete_team: false,
  },
  viewer: {
    view: true,
    comment: false,
    edit: false,
    invite: false,
    manage_settings: false,
    billing: false,
    delete_team: false,
  },
};

describe("hasPermission", () => {
  for (const role of teamRoles) {
    for (const action of teamActions) {
      it(`${role} ${expected[role][action] ? "may" : "may not"} ${action}`, () => {
        expect(hasPermission(role, action)).toBe(expected[role][action]);
      });
    }
  }
});

describe("mayManageMember", () => {
  it("lets an owner make, change and remove anyone", () => {
    for (const target of [...teamRoles, null]) {
      for (const next of [...teamRoles, null]) expect(mayManageMember("owner", target, next)).toBe(true);
    }
  });

  it("lets an admin manage non-owners, but neither make an owner nor touch one", () => {
    expect(mayManageMember("admin", "member", "viewer")).toBe(true);
    expect(mayManageMember("admin", null, "admin")).toBe(true);
    expect(mayManageMember("admin", "viewer", null)).toBe(true);
    expect(mayManageMember("admin", "member", "owner")).toBe(false);
    expect(mayManageMember("admin", null, "owner")).toBe(false);
    expect(mayManageMember("admin", "owner", "member")).toBe(false);
    expect(mayManageMember("admin", "owner", null)).toBe(false);
  });

  it("lets members and viewers manage nobody", () => {
    for (const actor of ["member", "viewer"] as const) {
      expect(mayManageMember(actor, "viewer", "member")).toBe(false);
      expect(mayManageMember(actor, null, "viewer")).toBe(false);
    }
  });
});
