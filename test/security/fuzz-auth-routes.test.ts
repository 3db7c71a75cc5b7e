// Property fuzzing of the authentication routes (issue 9 item 2): register, login, login/mfa,
// logout, logout-all, refresh, password forgot/reset/change.
// OWASP API Security Top 10 2023: API8 (security misconfiguration: no 5xx, no stack trace or SQL
// in errors), API3 (broken object property level authorization: unknown fields refused, no mass
// assignment), API4 (unrestricted resource consumption: oversized and deeply nested bodies
// refused), API2 (broken authentication: hostile credentials never crash a login path).
// ASVS 5.0: V1.2 (injection prevention: SQL, markup and template text stored inertly), V1.3
// (sanitization), V1.5 (safe deserialization: deep nesting, prototype keys), V2.2 (input
// validation: type, length, format, allowlists), V4.1 (web service: JSON media type and body
// size only), V16.5 (error handling: generic messages, no internals), V6.2 (password
// security: the password stored is the one sent).

import fc from "fast-check";
import { beforeAll, expect, vi } from "vitest";
import { api, type RegisteredUser, registerUser, uniqueEmail } from "../helpers/api";
import {
  type CheckContext,
  describeFuzz,
  echoed,
  emailNormalised,
  enableTwoFactor,
  freshToken,
  readBack,
  totpCode,
  trimmed,
  unlock,
} from "../helpers/fuzz";
import { readOutbox, tokenFromMail } from "../helpers/outbox";
import { SoftAuthenticator } from "../helpers/passkey-authenticator";
import { addPasskey, signInOptions } from "../helpers/passkeys";

const strongPassword = () => `fuzz-${crypto.randomUUID()}`;

let loginUser: RegisteredUser;
let mfaUser: RegisteredUser & { secret: string; backupCodes: string[] };
let sessionUser: RegisteredUser;
let forgotUser: RegisteredUser;
let resetUser: RegisteredUser;
let changeUser: RegisteredUser;
/** A passkey without a counter: any number of fuzzed sign-ins may use it, in any order. */
const passkey = new SoftAuthenticator();
passkey.keepsCounter = false;

beforeAll(async () => {
  [loginUser, sessionUser, forgotUser, resetUser, changeUser] = await Promise.all([
    registerUser(),
    registerUser(),
    registerUser(),
    registerUser(),
    registerUser(),
  ]);
  const [passkeyUser, mfa] = await Promise.all([registerUser(), registerUser()]);
  await addPasskey(passkeyUser, passkey);
  mfaUser = { ...mfa, ...(await enableTwoFactor(mfa)) };
  // Seven accounts, each verified through its mailed link: more than the default 10 s on a busy machine.
}, 30_000);

/**
 * A stored password is the one that was sent: logging in with it works, and (were a password
 * that is not well-formed text accepted) the text that storage would make of it does not.
 */
async function expectLogin(context: CheckContext, email: string, password: string) {
  context.stats.readBacks += 1;
  const response = await api("POST", "/v1/auth/login", { body: { email, password } });
  expect(response.status, "log in with the password just set").toBe(200);
  if (!password.isWellFormed()) {
    context.stats.readBacks += 1;
    const other = await api("POST", "/v1/auth/login", { body: { email, password: password.toWellFormed() } });
    expect(other.status, "log in with U+FFFD in place of the lone surrogates of the password").toBe(401);
  }
}

/** The first step of a 2FA login: a fresh mfaToken (single use). */
async function mfaToken(): Promise<string> {
  let response = await api("POST", "/v1/auth/login", { body: { email: mfaUser.email, password: mfaUser.password } });
  if (response.status === 423) {
    await unlock(mfaUser);
    response = await api("POST", "/v1/auth/login", { body: { email: mfaUser.email, password: mfaUser.password } });
  }
  expect(response.status).toBe(200);
  return ((await response.json()) as { mfaToken: string }).mfaToken;
}

/**
 * A live reset token, kept until a payload uses it. An email gets at most 3 reset mails an hour,
 * so the reset user is replaced by a new one after 3.
 */
let resetToken: string | undefined;
let resetMails = 0;
async function liveResetToken(): Promise<string> {
  if (resetToken) return resetToken;
  if (resetMails === 3) {
    resetUser = await registerUser();
    resetMails = 0;
  }
  resetMails += 1;
  const isReset = (subject: string) => /reset your/i.test(subject);
  const before = (await readOutbox(resetUser.email)).filter((mail) => isReset(mail.subject)).length;
  expect((await api("POST", "/v1/auth/password/forgot", { body: { email: resetUser.email } })).status).toBe(202);
  const mail = await vi.waitFor(async () => {
    const mails = (await readOutbox(resetUser.email)).filter((entry) => isReset(entry.subject));
    if (mails.length <= before) throw new Error("no new reset mail yet");
    return mails[0] as (typeof mails)[number];
  });
  resetToken = tokenFromMail(mail);
  return resetToken;
}

async function me(context: CheckContext, token: string) {
  return readBack(context, "/v1/me", token);
}

describeFuzz("auth", {
  "POST /v1/auth/passkey/options": { runs: 3, base: () => ({}) },
  "POST /v1/auth/passkey": {
    runs: 4,
    base: async () => {
      const { challengeId, options } = await signInOptions();
      return { body: { challengeId, response: await passkey.assert(options) } };
    },
  },
  "POST /v1/auth/register": {
    runs: 4,
    base: () => ({ body: { email: uniqueEmail("fuzz"), password: strongPassword(), name: "Fuzz" } }),
    stored: {
      email: echoed((json) => (json.user as { email: string }).email, {
        normalise: emailNormalised,
        again: async (json, context) => (await me(context, json.token as string)).email,
      }),
      name: echoed((json) => (json.user as { name: string }).name, {
        normalise: trimmed,
        again: async (json, context) => (await me(context, json.token as string)).name,
      }),
      password: (sent, json, context) => expectLogin(context, (json.user as { email: string }).email, sent as string),
    },
  },
  "POST /v1/auth/login": {
    runs: 4,
    base: () => ({ body: { email: loginUser.email, password: loginUser.password } }),
  },
  "POST /v1/auth/login/mfa": {
    runs: 4,
    base: async (input) => {
      // The token itself, extra fields and whole bodies need no real token; a code payload gets a fresh one.
      if (input?.name === "mfaToken" || input === undefined) return { body: { mfaToken: "x.y.z", code: "000000" } };
      const token = await mfaToken();
      return {
        body:
          input.name === "backupCode"
            ? { mfaToken: token, backupCode: "aaaa-bbbb" }
            : { mfaToken: token, code: "000000" },
      };
    },
    // Drawn when a payload is generated: the code of the current 30 s step, an unused backup code.
    values: {
      code: () => fc.constant(null).map(() => totpCode(mfaUser.secret)),
      backupCode: () => fc.constant(null).map(() => mfaUser.backupCodes.pop() ?? "none-left"),
    },
  },
  "POST /v1/auth/logout": { runs: 3, base: async () => ({ token: await freshToken(sessionUser) }) },
  "POST /v1/auth/logout-all": { runs: 3, base: async () => ({ token: await freshToken(sessionUser) }) },
  "POST /v1/auth/refresh": { runs: 3, base: async () => ({ token: await freshToken(sessionUser) }) },
  "GET /v1/auth/csrf": { runs: 3, base: async () => ({ token: await freshToken(sessionUser) }) },
  "GET /v1/auth/providers": { runs: 2, base: () => ({ query: { limit: "2" } }) },
  "GET /v1/auth/oauth/{provider}/start": {
    runs: 4,
    base: () => ({ params: { provider: "github" }, query: { returnTo: "/console" } }),
  },
  "GET /v1/auth/oauth/{provider}/callback": {
    runs: 4,
    base: () => ({ params: { provider: "github" }, query: { code: "code", state: "state", error: "access_denied" } }),
  },
  "POST /v1/auth/password/forgot": {
    base: () => ({ body: { email: forgotUser.email } }),
  },
  "POST /v1/auth/password/reset": {
    runs: 4,
    base: async (input) => ({
      body: {
        token: input?.name === "password" ? await liveResetToken() : "not-a-live-token",
        password: strongPassword(),
      },
    }),
    stored: {
      password: async (sent, _json, context) => {
        resetToken = undefined;
        resetUser.password = sent as string;
        await expectLogin(context, resetUser.email, sent as string);
      },
    },
  },
  // A token never matches a live link (2^256 of them): every payload must answer 400, never 5xx.
  "POST /v1/auth/email/verify": {
    base: () => ({ body: { token: "not-a-live-token" } }),
  },
  // An unverified user, so the request mails (until the address's hourly cap answers 429).
  "POST /v1/auth/email/verify/resend": {
    runs: 3,
    base: async () => ({ token: (await registerUser({ verified: false })).token }),
  },
  "POST /v1/auth/password/change": {
    runs: 4,
    // The new password is the current one: a payload that succeeds changes nothing for the next.
    base: () => ({
      token: changeUser.token,
      body: { currentPassword: changeUser.password, newPassword: changeUser.password },
    }),
    stored: {
      newPassword: async (sent, _json, context) => {
        changeUser.password = sent as string;
        await expectLogin(context, changeUser.email, sent as string);
      },
    },
  },
});
