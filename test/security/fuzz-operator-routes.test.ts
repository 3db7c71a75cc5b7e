// Property fuzzing of the operator, webhook and development routes (issue 9 item 2): the admin
// API (ADMIN_TOKEN), the Stripe webhook (signed and unsigned deliveries), /dev/outbox, /dev/alerts, /health.
// OWASP API Security Top 10 2023: API8 (security misconfiguration: no 5xx, no stack trace or SQL
// in errors), API3 (broken object property level authorization: unknown fields refused), API10
// (unsafe consumption of APIs: a signed third-party event of any shape is parsed defensively, its
// stored ids come back exactly), API4 (oversized and deeply nested bodies refused), API5 (an
// unsigned webhook delivery is refused).
// ASVS 5.0: V1.2 (injection prevention: SQL, markup and template text stored inertly), V1.3
// (sanitization), V1.5 (safe deserialization: deep nesting, prototype keys), V2.2 (input
// validation: type, length, format, allowlists), V4.1 (web service: JSON media type and body
// size only), V16.5 (error handling: generic messages, no internals).
import fc from "fast-check";
import Stripe from "stripe";
import { beforeAll, describe, expect, it } from "vitest";
import { api, env, type RegisteredUser, registerUser } from "../helpers/api";
import { createImage } from "../helpers/fixtures";
import {
  type CheckContext,
  describeFuzz,
  echoed,
  expectSafeAnswer,
  type Input,
  nasty,
  readBack,
  type Sent,
  send,
  show,
  trimmed,
} from "../helpers/fuzz";

const cryptoProvider = Stripe.createSubtleCryptoProvider();

let target: RegisteredUser;
let buyer: RegisteredUser;
let buyerImageId: string;

beforeAll(async () => {
  [target, buyer] = await Promise.all([registerUser(), registerUser()]);
  buyerImageId = (await createImage(buyer.token)).id;
});

const operator = () => ({ token: env.ADMIN_TOKEN });
const userIds = () => fc.constantFrom(target.id, buyer.id, `${target.id}x`, "usr_unknown");

// The Stripe webhook has no body schema (the signature covers the raw bytes): these are the
// fields its handlers read, fuzzed inside events signed with the real secret.
const stripeInputs: Input[] = [
  "id",
  "type",
  "data",
  "data.object",
  "data.object.id",
  "data.object.payment_status",
  "data.object.payment_intent",
  "data.object.amount",
  "data.object.currency",
  "data.object.status",
  "data.object.metadata",
  "data.object.metadata.userId",
  "data.object.metadata.imageId",
].map((name) => ({ location: "body", name }));

const handledTypes = [
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "payment_intent.succeeded",
  "payment_intent.payment_failed",
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
];
let deliveries = 0;

/** A well-formed event of one of the handled types (in turn), for the buyer and their image. */
function stripeEvent(type = handledTypes[++deliveries % handledTypes.length] as string) {
  return {
    id: `evt_fuzz_${crypto.randomUUID()}`,
    object: "event",
    type,
    created: Math.floor(Date.now() / 1000),
    data: {
      object: {
        id: `${type.startsWith("checkout") ? "cs" : type.startsWith("payment") ? "pi" : "sub"}_fuzz_${crypto.randomUUID()}`,
        object: type.split(".").slice(0, -1).join("."),
        payment_status: "paid",
        payment_intent: `pi_fuzz_${crypto.randomUUID()}`,
        amount: 500,
        currency: "eur",
        status: "canceled",
        metadata: { userId: buyer.id, imageId: buyerImageId },
      },
    },
  };
}

async function signed(request: Sent): Promise<Response> {
  const header = await Stripe.webhooks.generateTestHeaderStringAsync({
    payload: request.body ?? "",
    secret: env.STRIPE_WEBHOOK_SECRET,
    cryptoProvider,
  });
  return send({ ...request, headers: { ...request.headers, "Stripe-Signature": header } });
}

async function licences(context: CheckContext) {
  const { licenses } = (await readBack(context, "/v1/account/export", buyer.token)) as {
    licenses: { stripeCheckoutSessionId: string; stripePaymentIntentId: string | null }[];
  };
  return licenses;
}

/** Licences of the buyer before the payload, for a payload whose session id is refused. */
let licencesBefore = 0;

/**
 * A paid checkout session grants a licence carrying Stripe's session id exactly as sent; an id
 * that could not be stored exactly (not a string of 1..255 well-formed characters) grants none.
 */
async function licenceFor(sent: unknown, json: Record<string, unknown>, context: CheckContext) {
  if (json.duplicate) return;
  const all = await licences(context);
  if (typeof sent === "string" && sent.length > 0 && sent.length <= 255 && sent.isWellFormed()) {
    const found = all.filter((licence) => licence.stripeCheckoutSessionId === sent);
    expect(found.length, `licence for checkout session ${show(sent)}`).toBe(1);
  } else {
    expect(all.length, `no licence for checkout session ${show(sent)}`).toBe(licencesBefore);
  }
}

/** The licence's payment intent (in the account export only) is the one sent, or there is none. */
async function paymentIntentOf(sent: unknown, json: Record<string, unknown>, context: CheckContext) {
  const event = context.request.body as { data: { object: { id: string } } };
  const id = typeof sent === "object" && sent !== null ? (sent as { id?: unknown }).id : sent;
  if (json.duplicate || typeof id !== "string") return;
  const licence = (await licences(context)).find((entry) => entry.stripeCheckoutSessionId === event.data.object.id);
  if (id.isWellFormed()) expect(show(licence?.stripePaymentIntentId), "payment intent").toBe(show(id));
  else expect(licence, `a licence for payment intent ${show(id)}`).toBeUndefined();
}

const stats = describeFuzz("operator", {
  "GET /health": { base: () => ({}) },
  "POST /v1/webhooks/stripe": {
    inputs: stripeInputs,
    runs: 6,
    // Fuzzed checkout session and payment intent ids must come back exactly in the licence.
    base: async (input) => {
      if (input?.name === "data.object.id") {
        const exported = await api("GET", "/v1/account/export", { token: buyer.token });
        licencesBefore = ((await exported.json()) as { licenses: unknown[] }).licenses.length;
      }
      const checkout = input?.name === "data.object.id" || input?.name === "data.object.payment_intent";
      return { body: checkout ? stripeEvent("checkout.session.completed") : stripeEvent() };
    },
    send: signed,
    values: {
      type: () => fc.constantFrom(...handledTypes, "constructor", "__proto__", "toString", "customer.created"),
      "data.object.payment_status": () => fc.constantFrom("paid", "unpaid", "no_payment_required"),
      "data.object.payment_intent": () => fc.constantFrom({ id: "pi_x" }, { id: 5 }, null),
      "data.object.metadata.userId": () => fc.constantFrom(buyer.id, target.id, "usr_unknown"),
      "data.object.metadata.imageId": () => fc.constantFrom(buyerImageId, "img_unknown"),
    },
    stored: { "data.object.id": licenceFor, "data.object.payment_intent": paymentIntentOf },
    examples: { "data.object.payment_intent": [{ id: "pi_fuzz_\udc00" }] },
  },
  "PATCH /v1/admin/users/{id}": {
    base: () => ({ ...operator(), params: { id: target.id }, body: { plan: "enterprise", rateLimitPerMinute: 1000 } }),
    values: { id: userIds },
    stored: {
      plan: echoed((json) => json.plan),
      rateLimitPerMinute: echoed((json) => json.rateLimitPerMinute),
    },
  },
  "POST /v1/admin/users/{id}/revoke-all": {
    runs: 4,
    base: () => ({ ...operator(), params: { id: target.id } }),
    values: { id: userIds },
  },
  "POST /v1/admin/users/{id}/force-password-reset": {
    runs: 4,
    base: () => ({ ...operator(), params: { id: target.id } }),
    values: { id: userIds },
  },
  "POST /v1/admin/users/{id}/unlock": {
    runs: 4,
    base: () => ({ ...operator(), params: { id: target.id } }),
    values: { id: userIds },
  },
  "DELETE /v1/admin/users/{id}/2fa": {
    runs: 4,
    base: () => ({ ...operator(), params: { id: target.id } }),
    values: { id: userIds },
  },
  "POST /v1/admin/ip-blocks": {
    base: () => ({ ...operator(), body: { ip: `192.0.2.${deliveries++ % 250}`, reason: "fuzzing" } }),
    stored: {
      reason: echoed((json) => json.reason, { normalise: trimmed }),
      // Same instant; the text is normalised to the ISO form with milliseconds.
      expiresAt: (sent, json) => {
        expect(Date.parse(json.expiresAt as string)).toBe(Date.parse(sent as string));
      },
    },
    normalised: ["ip"],
  },
  "GET /v1/admin/audit-log": {
    base: () => ({ ...operator(), query: { userId: target.id, limit: "3" } }),
    values: { userId: userIds },
  },
  "GET /v1/admin/security/summary": {
    base: () => ({ ...operator(), query: { window: "15m" } }),
  },
  "DELETE /v1/admin/ip-blocks/{ip}": {
    base: () => ({ ...operator(), params: { ip: "192.0.2.1" } }),
  },
  "GET /dev/outbox": {
    base: () => ({ query: { to: target.email, limit: "5" } }),
    values: { to: () => fc.constantFrom(target.email, target.email.toUpperCase(), ` ${target.email} `) },
  },
  "GET /dev/alerts": {
    base: () => ({ query: { limit: "5" } }),
  },
});

describe("POST /v1/webhooks/stripe unsigned or badly signed", () => {
  const headerText = fc.oneof(
    fc.stringMatching(/^[\x20-\x7e]{0,200}$/),
    nasty.map((text) => text.replace(/[^\x20-\x7e]/g, "")),
    fc.constantFrom(
      "t=1,v1=abc",
      `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}`,
      "t=99999999999999999999,v1=x",
      "t=-1,v1=",
      "t=1e3,v1=00",
      "v1=abc",
      ",,,,",
      "t=,v1=,t=",
      `t=${Math.floor(Date.now() / 1000)},t=${Math.floor(Date.now() / 1000)},v1=00`,
    ),
  );

  it("any Stripe-Signature that is not ours: 400 problem, never a 5xx", async () => {
    await fc.assert(
      fc.asyncProperty(fc.option(headerText, { nil: undefined }), async (header) => {
        stats.payloads += 1;
        const response = await api("POST", "/v1/webhooks/stripe", {
          body: JSON.stringify(stripeEvent()),
          ...(header === undefined ? {} : { headers: { "Stripe-Signature": header } }),
        });
        const answer = await expectSafeAnswer(response, `Stripe-Signature ${show(header)}`);
        expect(answer.status, `Stripe-Signature ${show(header)}`).toBe(400);
      }),
      { numRuns: 12 },
    );
  });
});
