// OWASP API1:2023 (broken object level authorization), API5:2023 (broken function level
// authorization); ASVS 5.0 V8.1.1 (the rules are written down: test/helpers/access-matrix-table.ts),
// V8.2.1 (function-level access: session-only routes refuse API keys and the operator token),
// V8.2.2 (a caller acts on their own sessions, password and account only), V8.3.1 (enforced
// server-side). The session and account-lifecycle rows of the access matrix: logout, logout
// everywhere, refresh, password change and erasure × every kind of caller, as real requests.
// Each allowed cell uses up a fresh session or a disposable stand-in (a new user in the same
// position), so the shared callers stay usable; each refusal leaves the caller's credentials,
// password and account as they were.
import { expect } from "vitest";
import {
  callerFor,
  describeAccessMatrix,
  freshSession,
  json,
  meStatus,
  scalar,
  useWorld,
} from "../helpers/access-matrix";
import { api, login } from "../helpers/api";

const world = useWorld();

const loginStatus = async (email: string, password: string) =>
  (await api("POST", "/v1/auth/login", { body: { email, password } })).status;

describeAccessMatrix("auth", world, {
  // The matrix's users are verified: an allowed resend answers 202 and mails nothing.
  "POST /v1/auth/email/verify/resend": (cell) => ({
    method: "POST",
    path: "/v1/auth/email/verify/resend",
    after: async () => {
      if (cell.actor) expect(await meStatus(cell.actor.token)).toBe(200);
    },
  }),
  "POST /v1/auth/logout": async (cell) => {
    const token = cell.allowed ? await freshSession(cell) : cell.credential;
    return {
      method: "POST",
      path: "/v1/auth/logout",
      credential: token,
      after: async () => {
        if (cell.allowed) expect(await meStatus(token)).toBe(401);
        // The caller's other session (for a key: its user's) is untouched.
        if (cell.actor) expect(await meStatus(cell.actor.token)).toBe(200);
      },
    };
  },
  "POST /v1/auth/logout-all": async (cell) => {
    const caller = await callerFor(cell, cell.allowed);
    const actor = caller.actor;
    const second = actor && cell.allowed ? await login(actor.email, actor.password) : undefined;
    return {
      method: "POST",
      path: "/v1/auth/logout-all",
      credential: caller.credential,
      after: async () => {
        if (!actor) return;
        expect(await meStatus(actor.token)).toBe(cell.allowed ? 401 : 200);
        if (second) expect(await meStatus(second)).toBe(401);
      },
    };
  },
  "GET /v1/auth/csrf": (cell) => ({ method: "GET", path: "/v1/auth/csrf", credential: cell.credential }),
  "POST /v1/auth/refresh": async (cell) => {
    const token = cell.allowed ? await freshSession(cell) : cell.credential;
    return {
      method: "POST",
      path: "/v1/auth/refresh",
      credential: token,
      after: async (response) => {
        if (cell.allowed) {
          const renewed = (await json<{ token: string }>(response)).token;
          expect(await meStatus(renewed)).toBe(200);
          expect(await meStatus(token)).toBe(401);
        }
        if (cell.actor) expect(await meStatus(cell.actor.token)).toBe(200);
      },
    };
  },
  "POST /v1/auth/password/change": async (cell) => {
    const caller = await callerFor(cell, cell.allowed);
    const actor = caller.actor;
    const current = actor?.password ?? "not the password";
    const next = `changed ${crypto.randomUUID()}`;
    return {
      method: "POST",
      path: "/v1/auth/password/change",
      credential: caller.credential,
      body: { currentPassword: current, newPassword: next },
      after: async () => {
        if (!actor) return;
        expect(await loginStatus(actor.email, cell.allowed ? next : current)).toBe(200);
        expect(await loginStatus(actor.email, cell.allowed ? current : next)).toBe(401);
      },
    };
  },
  "DELETE /v1/account": async (cell) => {
    const caller = await callerFor(cell, cell.allowed);
    const actor = caller.actor;
    return {
      method: "DELETE",
      path: "/v1/account",
      credential: caller.credential,
      body: { password: actor?.password ?? "not the password" },
      after: async () => {
        if (!actor) return;
        expect(await scalar("SELECT count(*) AS value FROM users WHERE id = ?", actor.id)).toBe(cell.allowed ? 0 : 1);
        expect(await meStatus(actor.token)).toBe(cell.allowed ? 401 : 200);
      },
    };
  },
});
