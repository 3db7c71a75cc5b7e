// Property fuzzing of the account routes (issue 9 item 2): me, two-factor, sessions, audit log,
// export, account deletion, licences and API keys.
// OWASP API Security Top 10 2023: API8 (security misconfiguration: no 5xx, no stack trace or SQL
// in errors), API3 (broken object property level authorization: unknown fields refused, no mass
// assignment of plan, role or ids), API4 (unrestricted resource consumption: oversized and deeply
// nested bodies, out-of-range limits refused), API1 (hostile ids and cursors find nothing of
// another user).
// ASVS 5.0: V1.2 (injection prevention: SQL, markup and template text stored inertly), V1.3
// (sanitization), V1.5 (safe deserialization: deep nesting, prototype keys), V2.2 (input
// validation: type, length, format, allowlists), V4.1 (web service: JSON media type and body
// size only), V16.5 (error handling: generic messages, no internals).
import fc from "fast-check";
import { beforeAll, expect } from "vitest";
import { api, env, login, type RegisteredUser, uniqueEmail } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import {
  type CheckContext,
  describeFuzz,
  echoed,
  emailNormalised,
  enableTwoFactor,
  fuzzUser,
  readBack,
  trimmed,
  unlessFuzzed,
} from "../helpers/fuzz";
import { insertIdentity } from "../helpers/identities";
import { SoftAuthenticator } from "../helpers/passkey-authenticator";
import { insertPasskeyRow, registrationOptions } from "../helpers/passkeys";
import { decodeToken } from "../helpers/tokens";

let main: RegisteredUser;
let meUser: RegisteredUser;
let enrollUser: RegisteredUser;
let confirmUser: RegisteredUser;
let disableUser: RegisteredUser;
let deleteUser: RegisteredUser;
let keysUser: RegisteredUser;
let otherKeysUser: RegisteredUser;
/** Passkeys: one whose password is fuzzed (registration options), one that adds, renames and removes. */
let passkeyOptionsUser: RegisteredUser;
let passkeysUser: RegisteredUser;
/** Ids of main's live sessions (cursors of GET /v1/sessions) and a cursor of its audit log. */
let sessionIds: string[];
let auditCursor: string;

beforeAll(async () => {
  [main, meUser, enrollUser, confirmUser, disableUser, deleteUser, keysUser, otherKeysUser] = await Promise.all([
    fuzzUser(),
    fuzzUser(),
    fuzzUser(),
    fuzzUser(),
    fuzzUser(),
    fuzzUser(),
    fuzzUser(),
    fuzzUser(),
  ]);
  [passkeyOptionsUser, passkeysUser] = await Promise.all([fuzzUser(), fuzzUser()]);
  const tokens = [main.token, await login(main.email, main.password), await login(main.email, main.password)];
  sessionIds = tokens.map((token) => decodeToken(token).payload.sid);
  const page = await api("GET", "/v1/audit-log?limit=1", { token: main.token });
  auditCursor = ((await page.json()) as { nextCursor: string }).nextCursor;
  expect(auditCursor).toBeTruthy();
  // One enrolment waiting for its code, one account with 2FA on.
  expect(
    (await api("POST", "/v1/me/2fa/totp", { token: confirmUser.token, body: { password: confirmUser.password } }))
      .status,
  ).toBe(200);
  await enableTwoFactor(disableUser);
  // Eight accounts, each verified through its mailed link: more than the default 10 s on a busy machine.
}, 30_000);

const me = (context: CheckContext) => readBack(context, "/v1/me", meUser.token);

async function keyName(context: CheckContext, id: string) {
  const { data } = (await readBack(context, "/v1/api-keys", keysUser.token)) as {
    data: { id: string; name: string }[];
  };
  return data.find((key) => key.id === id)?.name;
}

async function passkeyName(context: CheckContext, id: string) {
  const { data } = (await readBack(context, "/v1/me/passkeys?limit=100", passkeysUser.token)) as {
    data: { id: string; name: string }[];
  };
  return data.find((passkey) => passkey.id === id)?.name;
}

describeFuzz("account", {
  "GET /v1/me": { base: () => ({ token: main.token }) },
  "PATCH /v1/me": {
    base: (input) => {
      if (input?.name === "email" || input?.name === "currentPassword" || input?.name === "code") {
        return {
          token: meUser.token,
          body: { email: uniqueEmail("fuzz"), currentPassword: meUser.password, code: "000000" },
        };
      }
      return { token: meUser.token, body: { name: "Fuzz" } };
    },
    stored: {
      name: echoed((json) => json.name, {
        normalise: trimmed,
        again: async (_json, context) => (await me(context)).name,
      }),
      // An email change waits for the new address's link: the address is stored as pending.
      email: echoed((json) => json.pendingEmail, {
        normalise: emailNormalised,
        again: async (_json, context) => (await me(context)).pendingEmail,
      }),
    },
  },
  "POST /v1/me/2fa/totp": {
    runs: 4,
    base: () => ({ token: enrollUser.token, body: { password: enrollUser.password } }),
  },
  "POST /v1/me/2fa/totp/confirm": {
    base: () => ({ token: confirmUser.token, body: { code: "000000" } }),
  },
  "DELETE /v1/me/2fa": {
    runs: 4,
    base: () => ({ token: disableUser.token, body: { password: disableUser.password, code: "000000" } }),
  },
  "GET /v1/sessions": {
    base: () => ({ token: main.token, query: { limit: "2" } }),
    values: { cursor: () => fc.constantFrom(...sessionIds) },
  },
  "DELETE /v1/sessions/{id}": {
    runs: 4,
    base: async (input) => ({
      token: main.token,
      params: {
        id: await unlessFuzzed(
          input,
          "id",
          async () => decodeToken(await login(main.email, main.password)).payload.sid,
        ),
      },
    }),
    values: { id: () => fc.constantFrom(...sessionIds.slice(1), decodeToken(meUser.token).payload.sid) },
  },
  "GET /v1/audit-log": {
    base: () => ({ token: main.token, query: { limit: "3" } }),
    values: { cursor: () => fc.constant(auditCursor) },
  },
  "GET /v1/account/export": { runs: 3, base: () => ({ token: main.token }) },
  "DELETE /v1/account": {
    // A wrong password reaches the password check; the account itself is never erased here.
    base: () => ({ token: deleteUser.token, body: { password: "not the password of this account" } }),
  },
  "GET /v1/licenses": { base: () => ({ token: main.token }) },
  "POST /v1/api-keys": {
    base: () => ({ token: keysUser.token, body: { name: "fuzz key", scopes: ["read"] } }),
    stored: {
      name: echoed((json) => json.name, {
        normalise: trimmed,
        again: (json, context) => keyName(context, json.id as string),
      }),
      // Same instant; the text is normalised to the ISO form with milliseconds.
      expiresAt: (sent, json) => {
        expect(Date.parse(json.expiresAt as string)).toBe(Date.parse(sent as string));
      },
    },
    normalised: ["scopes", "allowedIps"],
  },
  "GET /v1/api-keys": { base: () => ({ token: keysUser.token }) },
  "DELETE /v1/api-keys/{id}": {
    runs: 4,
    base: async (input) => ({
      token: otherKeysUser.token,
      params: { id: await unlessFuzzed(input, "id", async () => (await createKey(otherKeysUser.token)).id) },
    }),
  },
  "POST /v1/me/passkeys/registration-options": {
    runs: 4,
    base: () => ({ token: passkeyOptionsUser.token, body: { password: passkeyOptionsUser.password } }),
  },
  "POST /v1/me/passkeys": {
    runs: 4,
    base: async () => {
      // Below the cap of 20, so that every well-formed name reaches storage.
      await env.DB.prepare("DELETE FROM passkeys WHERE user_id = ?").bind(passkeysUser.id).run();
      const response = await new SoftAuthenticator().register(await registrationOptions(passkeysUser));
      return { token: passkeysUser.token, body: { response, name: "Fuzz passkey" } };
    },
    stored: {
      name: echoed((json) => json.name, {
        normalise: trimmed,
        again: (json, context) => passkeyName(context, json.id as string),
      }),
    },
  },
  "GET /v1/me/passkeys": { base: () => ({ token: passkeysUser.token }) },
  "PATCH /v1/me/passkeys/{id}": {
    base: async (input) => ({
      token: passkeysUser.token,
      params: { id: await unlessFuzzed(input, "id", () => insertPasskeyRow(passkeysUser.id)) },
      body: { name: "Renamed" },
    }),
    stored: {
      name: echoed((json) => json.name, {
        normalise: trimmed,
        again: (json, context) => passkeyName(context, json.id as string),
      }),
    },
  },
  "DELETE /v1/me/passkeys/{id}": {
    runs: 4,
    base: async (input) => ({
      token: passkeysUser.token,
      params: { id: await unlessFuzzed(input, "id", () => insertPasskeyRow(passkeysUser.id)) },
    }),
  },
  "POST /v1/api-keys/{id}/roll": {
    runs: 4,
    base: async (input) => ({
      token: otherKeysUser.token,
      params: { id: await unlessFuzzed(input, "id", async () => (await createKey(otherKeysUser.token)).id) },
      body: { gracePeriodSeconds: 0 },
    }),
  },
  "GET /v1/me/identities": { base: () => ({ token: keysUser.token }) },
  "POST /v1/me/identities/{provider}/link": {
    runs: 3,
    base: () => ({ token: keysUser.token, params: { provider: "github" } }),
  },
  "DELETE /v1/me/identities/{id}": {
    runs: 4,
    base: async (input) => ({
      token: otherKeysUser.token,
      params: { id: await unlessFuzzed(input, "id", () => insertIdentity(otherKeysUser.id)) },
    }),
  },
});
