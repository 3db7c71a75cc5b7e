// OWASP API1:2023 (broken object level authorization: another user's session or key id),
// API5:2023 (broken function level authorization: keys cannot manage keys or sessions); ASVS 5.0
// V8.1.1 (the rules are written down: test/helpers/access-matrix-table.ts), V8.2.1 (function-level
// access), V8.2.2 (data-specific access: IDOR/BOLA on session and key ids), V8.3.1 (enforced
// server-side). The session and API-key rows of the access matrix × every kind of caller, as
// real requests: another user's session or key is not found (404, never 403) and keeps working.
import { expect } from "vitest";
import {
  type Cell,
  describeAccessMatrix,
  json,
  meStatus,
  once,
  type Probe,
  scalar,
  useWorld,
} from "../helpers/access-matrix";
import { api, login, type RegisteredUser } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { decodeToken } from "../helpers/tokens";

const world = useWorld();

const sessionIdOf = (token: string) => decodeToken(token).payload.sid;
/** Whether an API key still works (it has the read scope). */
const keyStatus = async (key: string) => (await api("GET", "/v1/images", { token: key })).status;

/** The user a cell's own-object target belongs to: the caller's, or the owner's for anonymous and the operator. */
const ownerOfTarget = (cell: Cell): RegisteredUser => cell.actor ?? world().owner;

const newReadKey = (user: RegisteredUser, name: string) => createKey(user.token, { name, scopes: ["read"] });

/** A target of the owner's: fresh for the one allowed cell, shared by the refusals. */
function ownersObject<T>(make: () => Promise<T>) {
  const shared = once(make);
  return (cell: Cell) => (cell.allowed ? make() : shared());
}

const ownersSession = ownersObject(() => login(world().owner.email, world().owner.password));
const ownersKeyToRevoke = ownersObject(() => newReadKey(world().owner, "owner's key (revoke row)"));
const ownersKeyToRoll = ownersObject(() => newReadKey(world().owner, "owner's key (roll row)"));

const listedIdsBelongTo = async (table: string, ids: string[], userId: string) => {
  const placeholders = ids.map(() => "?").join(", ");
  const foreign = await scalar(
    `SELECT count(*) AS value FROM ${table} WHERE id IN (${placeholders}) AND user_id <> ?`,
    ...ids,
    userId,
  );
  expect(foreign).toBe(0);
};

const revokeOwnSession: Probe = async (cell) => {
  // Users end a second session of their own; refused callers try one of their user's.
  const target = await login(ownerOfTarget(cell).email, ownerOfTarget(cell).password);
  return {
    method: "DELETE",
    path: `/v1/sessions/${sessionIdOf(target)}`,
    after: async () => {
      expect(await meStatus(target)).toBe(cell.allowed ? 401 : 200);
      if (cell.actor) expect(await meStatus(cell.actor.token)).toBe(200);
    },
  };
};

const revokeOwnKey: Probe = async (cell) => {
  const target = await newReadKey(ownerOfTarget(cell), `own key of ${cell.label}`);
  return {
    method: "DELETE",
    path: `/v1/api-keys/${target.id}`,
    after: async () => {
      expect(await keyStatus(target.key)).toBe(cell.allowed ? 401 : 200);
    },
  };
};

describeAccessMatrix("keys-sessions", world, {
  "GET /v1/sessions": (cell) => ({
    method: "GET",
    path: "/v1/sessions",
    after: async (response) => {
      if (!response.ok || !cell.actor) return;
      const sessions = (await json<{ data: { id: string; current: boolean }[] }>(response)).data;
      expect(sessions.filter((session) => session.current)).toHaveLength(1);
      await listedIdsBelongTo(
        "sessions",
        sessions.map((session) => session.id),
        cell.actor.id,
      );
    },
  }),
  "DELETE /v1/sessions/{id} [the caller's own session]": revokeOwnSession,
  "DELETE /v1/sessions/{id} [owner's session]": async (cell) => {
    const target = await ownersSession(cell);
    return {
      method: "DELETE",
      path: `/v1/sessions/${sessionIdOf(target)}`,
      after: async () => {
        expect(await meStatus(target)).toBe(cell.allowed ? 401 : 200);
      },
    };
  },
  "POST /v1/api-keys": (cell) => {
    const name = `key of ${cell.label}`;
    return {
      method: "POST",
      path: "/v1/api-keys",
      body: { name, scopes: ["read"] },
      after: async (response) => {
        if (cell.allowed) expect(await keyStatus((await json<{ key: string }>(response)).key)).toBe(200);
        const created = await scalar(
          "SELECT count(*) AS value FROM api_keys WHERE name = ? AND user_id = ?",
          name,
          cell.actor?.id ?? "",
        );
        expect(created).toBe(cell.allowed ? 1 : 0);
        expect(await scalar("SELECT count(*) AS value FROM api_keys WHERE name = ?", name)).toBe(cell.allowed ? 1 : 0);
      },
    };
  },
  "GET /v1/api-keys": (cell) => ({
    method: "GET",
    path: "/v1/api-keys",
    after: async (response) => {
      if (!response.ok || !cell.actor) return;
      const ids = (await json<{ data: { id: string }[] }>(response)).data.map((key) => key.id);
      const ownersKeyIds = [world().keys.key_read.id, world().keys.key_generate.id, world().keys.key_manage.id];
      for (const id of ownersKeyIds) expect(ids.includes(id)).toBe(cell.actor.id === world().owner.id);
      if (ids.length > 0) await listedIdsBelongTo("api_keys", ids, cell.actor.id);
    },
  }),
  "DELETE /v1/api-keys/{id} [the caller's own key]": revokeOwnKey,
  "DELETE /v1/api-keys/{id} [owner's key]": async (cell) => {
    const target = await ownersKeyToRevoke(cell);
    return {
      method: "DELETE",
      path: `/v1/api-keys/${target.id}`,
      after: async () => {
        expect(await keyStatus(target.key)).toBe(cell.allowed ? 401 : 200);
      },
    };
  },
  "POST /v1/api-keys/{id}/roll [owner's key]": async (cell) => {
    const target = await ownersKeyToRoll(cell);
    return {
      method: "POST",
      path: `/v1/api-keys/${target.id}/roll`,
      body: {},
      after: async (response) => {
        if (cell.allowed) expect(await keyStatus((await json<{ key: string }>(response)).key)).toBe(200);
        expect(await keyStatus(target.key)).toBe(cell.allowed ? 401 : 200);
        expect(await scalar("SELECT count(*) AS value FROM api_keys WHERE rolled_from = ?", target.id)).toBe(
          cell.allowed ? 1 : 0,
        );
      },
    };
  },
});
