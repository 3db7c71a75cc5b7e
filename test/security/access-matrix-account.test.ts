// OWASP API1:2023 (broken object level authorization), API5:2023 (broken function level
// authorization); ASVS 5.0 V8.1.1 (the rules are written down: test/helpers/access-matrix-table.ts),
// V8.2.1 (function-level access: session-only routes refuse API keys and the operator token),
// V8.2.2 (a caller reads and changes their own profile, second factor, audit trail and export
// only), V8.3.1 (enforced server-side). The account rows of the access matrix × every kind of
// caller, as real requests. Two-factor cells use stand-ins (new users in the same position,
// keys of new users) so that a refusal can be checked against a second factor of its own.
import { expect } from "vitest";
import {
  type Cell,
  callerFor,
  describeAccessMatrix,
  json,
  type Probe,
  type StandIn,
  scalar,
  standIn,
  useWorld,
} from "../helpers/access-matrix";
import { api, type RegisteredUser } from "../helpers/api";
import { insertIdentity } from "../helpers/identities";
import { SoftAuthenticator } from "../helpers/passkey-authenticator";
import { insertPasskeyRow } from "../helpers/passkeys";
import { codeAt, enrollTwoFactor, turnOnTwoFactor } from "../helpers/totp";

const world = useWorld();

/** null: never enrolled; false: enrolled, not on; true: on. */
async function twoFactorOn(userId: string) {
  const on = await scalar("SELECT enabled_at IS NOT NULL AS value FROM user_mfa WHERE user_id = ?", userId);
  return on === null ? null : on === 1;
}

const passkeyName = (id: string) => scalar<string>("SELECT name AS value FROM passkeys WHERE id = ?", id);

/** Renames a passkey (the caller's own, or the team owner's): only its owner may, others get 404. */
const renamePasskeyProbe =
  (whose: "own" | "owner"): Probe =>
  async (cell) => {
    const holder = whose === "owner" ? cell.world.owner : cell.actor;
    const id = holder ? await insertPasskeyRow(holder.id) : "pk_nobody";
    const name = `renamed by ${cell.label}`;
    return {
      method: "PATCH",
      path: `/v1/me/passkeys/${id}`,
      body: { name },
      after: async () => {
        if (holder) expect(await passkeyName(id)).toBe(cell.allowed ? name : "Inserted");
      },
    };
  };

/** Removes a passkey (the caller's own, or the team owner's): only its owner may, others get 404. */
const deletePasskeyProbe =
  (whose: "own" | "owner"): Probe =>
  async (cell) => {
    const holder = whose === "owner" ? cell.world.owner : cell.actor;
    const id = holder ? await insertPasskeyRow(holder.id) : "pk_nobody";
    return {
      method: "DELETE",
      path: `/v1/me/passkeys/${id}`,
      after: async () => {
        if (holder)
          expect(await scalar("SELECT count(*) AS value FROM passkeys WHERE id = ?", id)).toBe(cell.allowed ? 0 : 1);
      },
    };
  };

const mfaRows = (userId: string) => scalar("SELECT count(*) AS value FROM user_mfa WHERE user_id = ?", userId);

/** Reads of the caller's own data: allowed callers get theirs, never anyone else's. */
const ownRead =
  (path: string, check: (body: Record<string, unknown>, actor: RegisteredUser, response: Response) => void): Probe =>
  (cell: Cell) => ({
    method: "GET",
    path,
    after: async (response) => {
      if (response.ok && cell.actor) check(await json(response), cell.actor, response);
    },
  });

/** A stand-in for every user-backed cell, its second factor prepared by `prepare`. */
async function twoFactorCaller(cell: Cell, prepare: (user: RegisteredUser) => Promise<string>) {
  const caller: StandIn = cell.actor ? await standIn(cell.world, cell.principal) : await callerFor(cell, false);
  const secret = caller.actor ? await prepare(caller.actor) : undefined;
  return { caller, secret };
}

describeAccessMatrix("account", world, {
  "GET /v1/me": ownRead("/v1/me", (body, actor) => {
    expect(body).toMatchObject({ id: actor.id, email: actor.email });
    expect(body).not.toHaveProperty("passwordHash");
  }),
  "PATCH /v1/me": (cell) => {
    const name = `name of ${cell.label}`;
    return {
      method: "PATCH",
      path: "/v1/me",
      body: { name },
      after: async (response) => {
        if (cell.allowed) expect(await json(response)).toMatchObject({ id: cell.actor?.id, name });
        expect(await scalar("SELECT count(*) AS value FROM users WHERE name = ?", name)).toBe(cell.allowed ? 1 : 0);
      },
    };
  },
  "POST /v1/me/2fa/totp": async (cell) => {
    // Allowed callers enrol a stand-in; refused keys try their own user, who never enrols.
    const caller = await callerFor(cell, cell.allowed);
    return {
      method: "POST",
      path: "/v1/me/2fa/totp",
      credential: caller.credential,
      body: { password: caller.actor?.password ?? "not the password" },
      after: async (response) => {
        if (cell.allowed) expect(await json(response)).toMatchObject({ secret: expect.any(String) });
        if (caller.actor) expect(await mfaRows(caller.actor.id)).toBe(cell.allowed ? 1 : 0);
      },
    };
  },
  "POST /v1/me/2fa/totp/confirm": async (cell) => {
    const { caller, secret } = await twoFactorCaller(cell, enrollTwoFactor);
    return {
      method: "POST",
      path: "/v1/me/2fa/totp/confirm",
      credential: caller.credential,
      body: { code: secret ? codeAt(secret, Date.now()) : "000000" },
      after: async (response) => {
        if (cell.allowed) expect((await json<{ backupCodes: string[] }>(response)).backupCodes).toHaveLength(10);
        if (caller.actor) expect(await twoFactorOn(caller.actor.id)).toBe(cell.allowed);
      },
    };
  },
  "DELETE /v1/me/2fa": async (cell) => {
    const { caller, secret } = await twoFactorCaller(cell, turnOnTwoFactor);
    return {
      method: "DELETE",
      path: "/v1/me/2fa",
      credential: caller.credential,
      body: {
        password: caller.actor?.password ?? "not the password",
        code: secret ? codeAt(secret, Date.now() + 30_000) : "000000",
      },
      after: async () => {
        if (caller.actor) expect(Boolean(await twoFactorOn(caller.actor.id))).toBe(!cell.allowed);
      },
    };
  },
  "GET /v1/audit-log": ownRead("/v1/audit-log", (body, actor) => {
    const events = body.data as { userId: string | null }[];
    expect(events.length).toBeGreaterThan(0);
    expect(events.every((event) => event.userId === actor.id)).toBe(true);
  }),
  "GET /v1/account/export": ownRead("/v1/account/export", (body, actor, response) => {
    expect(response.headers.get("Content-Disposition")).toMatch(/^attachment/);
    expect(body.user).toMatchObject({ id: actor.id, email: actor.email });
    expect((body.apiKeys as unknown[]).length).toBeGreaterThanOrEqual(0);
  }),
  "POST /v1/me/passkeys/registration-options": (cell) => ({
    method: "POST",
    path: "/v1/me/passkeys/registration-options",
    body: { password: cell.actor?.password ?? "not the password" },
    after: async (response) => {
      if (cell.allowed) expect(await json(response)).toMatchObject({ challenge: expect.any(String) });
    },
  }),
  "POST /v1/me/passkeys": async (cell) => {
    // Allowed callers answer a challenge of their own; refused ones send a response to nothing.
    let options = { challenge: "bm90IGEgY2hhbGxlbmdl", rp: {}, user: { id: "dXNy" } };
    if (cell.allowed) {
      const asked = await api("POST", "/v1/me/passkeys/registration-options", {
        token: cell.credential,
        body: { password: cell.actor?.password },
      });
      options = await json(asked);
    }
    return {
      method: "POST",
      path: "/v1/me/passkeys",
      body: { response: await new SoftAuthenticator().register(options), name: cell.label },
      // By the cell's own name: other cells add passkeys to the same users at the same time.
      after: async () => {
        const added = await scalar("SELECT count(*) AS value FROM passkeys WHERE name = ?", cell.label);
        expect(added).toBe(cell.allowed ? 1 : 0);
      },
    };
  },
  "GET /v1/me/passkeys": async (cell) => {
    const id = cell.actor ? await insertPasskeyRow(cell.actor.id, `listed ${cell.label}`) : undefined;
    return {
      method: "GET",
      path: "/v1/me/passkeys?limit=100",
      after: async (response) => {
        if (cell.allowed)
          expect((await json<{ data: { id: string }[] }>(response)).data.map((entry) => entry.id)).toContain(id);
      },
    };
  },
  "PATCH /v1/me/passkeys/{id} [the caller's own passkey]": renamePasskeyProbe("own"),
  "PATCH /v1/me/passkeys/{id} [owner's passkey]": renamePasskeyProbe("owner"),
  "DELETE /v1/me/passkeys/{id} [the caller's own passkey]": deletePasskeyProbe("own"),
  "DELETE /v1/me/passkeys/{id} [owner's passkey]": deletePasskeyProbe("owner"),
  "GET /v1/licenses": ownRead("/v1/licenses", (body) => {
    expect(body).toMatchObject({ data: expect.any(Array) });
  }),
  "GET /v1/me/identities": ownRead("/v1/me/identities", (body) => {
    expect(body).toMatchObject({ data: expect.any(Array), nextCursor: null });
  }),
  "POST /v1/me/identities/{provider}/link": async (cell) => {
    const flows = () => scalar("SELECT count(*) AS value FROM oauth_states WHERE link_user_id IS NOT NULL");
    const before = await flows();
    return {
      method: "POST",
      path: "/v1/me/identities/github/link",
      after: async (response) => {
        // A refusal starts no flow: no browser-binding cookie is handed out.
        if (!cell.allowed) return expect(response.headers.get("Set-Cookie")).toBeNull();
        const { url } = await json<{ url: string }>(response);
        expect(new URL(url).origin).toBe("https://github.com");
        expect(await flows()).toBeGreaterThan(before ?? 0);
      },
    };
  },
  // The matrix's users have passwords, so an identity is never their last way to sign in.
  "DELETE /v1/me/identities/{id} [the caller's own identity]": async (cell) => {
    const id = cell.actor ? await insertIdentity(cell.actor.id) : "idn_nobody";
    return {
      method: "DELETE",
      path: `/v1/me/identities/${id}`,
      after: async () => {
        if (!cell.actor) return;
        const left = await scalar("SELECT count(*) AS value FROM user_identities WHERE id = ?", id);
        expect(left).toBe(cell.allowed ? 0 : 1);
      },
    };
  },
  "DELETE /v1/me/identities/{id} [owner's identity]": async (cell) => {
    const id = await insertIdentity(cell.world.owner.id);
    return {
      method: "DELETE",
      path: `/v1/me/identities/${id}`,
      after: async () => {
        const left = await scalar("SELECT count(*) AS value FROM user_identities WHERE id = ?", id);
        expect(left).toBe(cell.allowed ? 0 : 1);
      },
    };
  },
});
