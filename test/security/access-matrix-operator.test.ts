// OWASP API5:2023 (broken function level authorization: the operator API); ASVS 5.0 V8.1.1 (the
// rules are written down: test/helpers/access-matrix-table.ts), V8.2.1 (function-level access:
// operator routes refuse every user credential, API keys included), V8.3.1 (enforced
// server-side). The operator rows of the access matrix × every kind of caller, as real requests:
// the ADMIN_TOKEN alone is answered, and a refused call changes nothing about its target (a
// user credential cannot lift its own user's rate limit, revoke, unlock, clear a second factor
// or block an address).
import { expect } from "vitest";
import { type Cell, describeAccessMatrix, once, type Probe, scalar, useWorld } from "../helpers/access-matrix";
import { api, type RegisteredUser, registerUser } from "../helpers/api";
import { asOperator } from "../helpers/operator";
import { userWithTwoFactor } from "../helpers/totp";

const world = useWorld();

const twoFactorOn = async (userId: string) =>
  (await scalar("SELECT count(*) AS value FROM user_mfa WHERE user_id = ? AND enabled_at IS NOT NULL", userId)) === 1;

/** Addresses in TEST-NET-2 (RFC 5737), one per cell: never a client address of the suite. */
let nextAddress = 0;
const testNetAddress = () => {
  nextAddress += 1;
  return `198.51.100.${nextAddress}`;
};
const blockedStatus = async (ip: string) => (await api("GET", "/v1/me", { token: world().owner.token, ip })).status;

async function block(ip: string) {
  const response = await asOperator("POST", "/v1/admin/ip-blocks", { body: { ip, reason: "access matrix" } });
  expect(response.status).toBe(201);
}

/** The operator acts on a fresh target; refused callers on a fresh one too, or on their own user. */
const operatorOn =
  (make: (cell: Cell, target: RegisteredUser) => ReturnType<Probe>, ownUser = false): Probe =>
  async (cell) =>
    make(cell, ownUser && cell.actor ? cell.actor : await registerUser());

const sharedTwoFactorUser = once(userWithTwoFactor);
const sharedBlockedAddress = once(async () => {
  const ip = "198.51.100.250";
  await block(ip);
  return ip;
});

describeAccessMatrix("operator", world, {
  "PATCH /v1/admin/users/{id}": operatorOn((cell, target) => {
    // A user credential trying to lift its own user's limit; the operator sets a fresh user's.
    const limit = 20_000 + Math.floor(Math.random() * 50_000);
    return {
      method: "PATCH",
      path: `/v1/admin/users/${target.id}`,
      body: { plan: "enterprise", rateLimitPerMinute: limit },
      after: async () => {
        const stored = await scalar("SELECT rate_limit_per_minute AS value FROM users WHERE id = ?", target.id);
        if (cell.allowed) expect(stored).toBe(limit);
        else expect(stored).not.toBe(limit);
      },
    };
  }, true),
  "POST /v1/admin/users/{id}/revoke-all": operatorOn((cell, target) => ({
    method: "POST",
    path: `/v1/admin/users/${target.id}/revoke-all`,
    after: async () => {
      expect((await api("GET", "/v1/me", { token: target.token })).status).toBe(cell.allowed ? 401 : 200);
    },
  })),
  "POST /v1/admin/users/{id}/force-password-reset": operatorOn((cell, target) => ({
    method: "POST",
    path: `/v1/admin/users/${target.id}/force-password-reset`,
    after: async () => {
      expect((await api("GET", "/v1/me", { token: target.token })).status).toBe(cell.allowed ? 401 : 200);
      const required = await scalar("SELECT password_reset_required AS value FROM users WHERE id = ?", target.id);
      expect(required).toBe(cell.allowed ? 1 : 0);
    },
  })),
  "GET /v1/admin/audit-log": operatorOn((_cell, target) => ({
    method: "GET",
    path: `/v1/admin/audit-log?userId=${target.id}`,
  })),
  "GET /v1/admin/security/summary": operatorOn(() => ({
    method: "GET",
    path: "/v1/admin/security/summary?window=15m",
  })),
  "POST /v1/admin/users/{id}/unlock": operatorOn((cell, target) => ({
    method: "POST",
    path: `/v1/admin/users/${target.id}/unlock`,
    after: async () => {
      const unlocks = await scalar(
        "SELECT count(*) AS value FROM audit_log WHERE type = 'auth.unlocked' AND user_id = ?",
        target.id,
      );
      expect(unlocks).toBe(cell.allowed ? 1 : 0);
    },
  })),
  "DELETE /v1/admin/users/{id}/2fa": async (cell) => {
    const { user } = cell.allowed ? await userWithTwoFactor() : await sharedTwoFactorUser();
    return {
      method: "DELETE",
      path: `/v1/admin/users/${user.id}/2fa`,
      after: async () => expect(await twoFactorOn(user.id)).toBe(!cell.allowed),
    };
  },
  "POST /v1/admin/ip-blocks": (cell) => {
    const ip = testNetAddress();
    return {
      method: "POST",
      path: "/v1/admin/ip-blocks",
      body: { ip, reason: `tried by ${cell.label}` },
      after: async () => {
        expect(await blockedStatus(ip)).toBe(cell.allowed ? 403 : 200);
        if (cell.allowed) expect((await asOperator("DELETE", `/v1/admin/ip-blocks/${ip}`)).status).toBe(204);
      },
    };
  },
  "DELETE /v1/admin/ip-blocks/{ip}": async (cell) => {
    const ip = cell.allowed ? testNetAddress() : await sharedBlockedAddress();
    if (cell.allowed) await block(ip);
    return {
      method: "DELETE",
      path: `/v1/admin/ip-blocks/${ip}`,
      after: async () => expect(await blockedStatus(ip)).toBe(cell.allowed ? 200 : 403),
    };
  },
});
