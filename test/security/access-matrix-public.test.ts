// OWASP API5:2023 (broken function level authorization), API2:2023; ASVS 5.0 V8.1.1 (the rules are
// written down: test/helpers/access-matrix-table.ts), V8.2.1 (function-level access), V8.3.1
// (enforced server-side). The public rows of the access matrix × every kind of caller, as real
// requests: public routes answer every caller alike, as a credential neither opens nor changes
// them (a login logs into the account named in the body, whoever's bearer comes with it; a
// Stripe delivery needs its signature, whoever sends it).
import { env } from "cloudflare:workers";
import Stripe from "stripe";
import { expect } from "vitest";
import { type Cell, describeAccessMatrix, json, once, type Probe, scalar, useWorld } from "../helpers/access-matrix";
import { api, linkTokenMailedTo, registerUser, uniqueEmail } from "../helpers/api";
import { tokenFromMail, waitForMail } from "../helpers/outbox";
import { SoftAuthenticator } from "../helpers/passkey-authenticator";
import { addPasskey, signInOptions } from "../helpers/passkeys";
import { decodeToken } from "../helpers/tokens";
import { codeAt, userWithTwoFactor } from "../helpers/totp";

const world = useWorld();

const userIdOf = (token: string) => decodeToken(token).payload.userId;

/** The account a public cell logs into, resets, or asks about: never the caller's. */
const subject = once(() => registerUser());

/** The subject's passkey, on an authenticator without a counter: every cell may sign in at once. */
const subjectPasskey = once(async () => {
  const authenticator = new SoftAuthenticator();
  authenticator.keepsCounter = false;
  await addPasskey(await subject(), authenticator);
  return authenticator;
});

const cryptoProvider = Stripe.createSubtleCryptoProvider();
function stripeDelivery(cell: Cell, signed: boolean): Probe {
  return async () => {
    const id = `evt_matrix_${cell.label}`;
    const payload = JSON.stringify({ id, object: "event", type: "matrix.test", data: { object: {} } });
    const headers: Record<string, string> = {};
    if (signed) {
      headers["Stripe-Signature"] = await Stripe.webhooks.generateTestHeaderStringAsync({
        payload,
        secret: env.STRIPE_WEBHOOK_SECRET,
        cryptoProvider,
      });
    }
    return {
      method: "POST",
      path: "/v1/webhooks/stripe",
      body: payload,
      headers,
      after: async () => {
        expect(await scalar("SELECT count(*) AS value FROM stripe_events WHERE id = ?", id)).toBe(signed ? 1 : 0);
      },
    };
  };
}

describeAccessMatrix("public", world, {
  "GET /health": () => ({
    method: "GET",
    path: "/health",
    after: async (response) => expect(await json(response)).toEqual({ status: "ok" }),
  }),
  "POST /v1/auth/register": (cell) => {
    const email = uniqueEmail("matrix");
    return {
      method: "POST",
      path: "/v1/auth/register",
      body: { email, password: `pw-${crypto.randomUUID()}` },
      after: async (response) => {
        const { user } = await json<{ user: { id: string; email: string } }>(response);
        expect(user.email).toBe(email);
        expect(user.id).not.toBe(cell.actor?.id);
      },
    };
  },
  "POST /v1/auth/login": async () => {
    const user = await subject();
    return {
      method: "POST",
      path: "/v1/auth/login",
      body: { email: user.email, password: user.password },
      after: async (response) => expect(userIdOf((await json<{ token: string }>(response)).token)).toBe(user.id),
    };
  },
  "POST /v1/auth/login/mfa": async () => {
    const { user, secret } = await userWithTwoFactor();
    const first = await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } });
    const { mfaToken } = await json<{ mfaToken: string }>(first);
    return {
      method: "POST",
      path: "/v1/auth/login/mfa",
      // The next step's code: past the one the confirmation used, and inside the ±1-step window.
      body: { mfaToken, code: codeAt(secret, Date.now() + 30_000) },
      after: async (response) => expect(userIdOf((await json<{ token: string }>(response)).token)).toBe(user.id),
    };
  },
  "POST /v1/auth/passkey/options": () => ({
    method: "POST",
    path: "/v1/auth/passkey/options",
    after: async (response) =>
      expect(await json(response)).toMatchObject({ challengeId: expect.stringMatching(/^pkc_/) }),
  }),
  "POST /v1/auth/passkey": async () => {
    const [user, authenticator] = [await subject(), await subjectPasskey()];
    const { challengeId, options } = await signInOptions();
    return {
      method: "POST",
      path: "/v1/auth/passkey",
      body: { challengeId, response: await authenticator.assert(options) },
      after: async (response) => expect(userIdOf((await json<{ token: string }>(response)).token)).toBe(user.id),
    };
  },
  "POST /v1/auth/password/forgot": async () => ({
    method: "POST",
    path: "/v1/auth/password/forgot",
    body: { email: (await subject()).email },
  }),
  "POST /v1/auth/password/reset": async () => {
    const user = await registerUser();
    const forgot = await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } });
    expect(forgot.status).toBe(202);
    const token = tokenFromMail(await waitForMail(user.email, /reset/i));
    const password = `reset-${crypto.randomUUID()}`;
    return {
      method: "POST",
      path: "/v1/auth/password/reset",
      body: { token, password },
      after: async () => {
        const login = await api("POST", "/v1/auth/login", { body: { email: user.email, password } });
        expect(login.status).toBe(200);
      },
    };
  },
  "POST /v1/auth/email/verify": async () => {
    const user = await registerUser({ verified: false });
    const token = await linkTokenMailedTo(user.email, /verify your/i);
    return {
      method: "POST",
      path: "/v1/auth/email/verify",
      body: { token },
      after: async () => {
        const me = await api("GET", "/v1/me", { token: user.token });
        expect(await json<{ emailVerified: boolean }>(me)).toMatchObject({ emailVerified: true });
      },
    };
  },
  "GET /v1/auth/providers": () => ({
    method: "GET",
    path: "/v1/auth/providers",
    after: async (response) =>
      expect(await json(response)).toEqual({ data: [{ id: "github", name: "GitHub" }], nextCursor: null }),
  }),
  // A credential changes nothing: the flow is a browser's, bound by its own cookie.
  "GET /v1/auth/oauth/{provider}/start": () => ({
    method: "GET",
    path: "/v1/auth/oauth/github/start?returnTo=%2Fconsole",
    after: (response) => {
      expect(new URL(response.headers.get("Location") ?? "").origin).toBe("https://github.com");
      expect(response.headers.get("Set-Cookie")).toMatch(/^__Host-imagebot_oauth=/);
    },
  }),
  "GET /v1/auth/oauth/{provider}/callback": () => ({
    method: "GET",
    path: "/v1/auth/oauth/github/callback?code=anything&state=never-issued",
    after: (response) => {
      expect(response.headers.get("Location")).toBe("/console/sign-in?error=invalid_state");
      expect(response.headers.get("Set-Cookie")).toBeNull();
    },
  }),
  "POST /v1/webhooks/stripe [signed]": (cell) => stripeDelivery(cell, true)(cell),
  "POST /v1/webhooks/stripe [unsigned]": (cell) => stripeDelivery(cell, false)(cell),
  "GET /dev/outbox": async () => {
    const user = await subject();
    return {
      method: "GET",
      path: `/dev/outbox?to=${encodeURIComponent(user.email)}`,
      after: async (response) => {
        const { data } = await json<{ data: { to: string }[] }>(response);
        expect(data.every((mail) => mail.to === user.email)).toBe(true);
      },
    };
  },
  // Development only: anyone reaching the local server reads the alerts, whatever credential.
  "GET /dev/alerts": () => ({
    method: "GET",
    path: "/dev/alerts?limit=5",
    after: async (response) => {
      const { data } = await json<{ data: { id: string }[] }>(response);
      expect(data.every((alert) => alert.id.startsWith("alr_"))).toBe(true);
    },
  }),
});
