import Stripe from "stripe";
import { describe, expect, it } from "vitest";
import { api, env, expectProblem, randomIp, registerUser } from "../helpers/api";
import { fetchWithEnv } from "../helpers/custom-env";
import { duringFault } from "../helpers/faults";
import { createImage } from "../helpers/fixtures";
import { asOperator } from "../helpers/operator";

const cryptoProvider = Stripe.createSubtleCryptoProvider();
const nowSeconds = () => Math.floor(Date.now() / 1000);

let eventCounter = 0;
function stripeEvent(type: string, object: Record<string, unknown>) {
  eventCounter += 1;
  return { id: `evt_test_${eventCounter}_${crypto.randomUUID()}`, object: "event", type, data: { object } };
}

async function signature(payload: string, options: { secret?: string; timestamp?: number } = {}) {
  return Stripe.webhooks.generateTestHeaderStringAsync({
    payload,
    secret: options.secret ?? env.STRIPE_WEBHOOK_SECRET,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
    cryptoProvider,
  });
}

async function deliver(event: object, options: { secret?: string; timestamp?: number } = {}) {
  const payload = JSON.stringify(event);
  const header = await signature(payload, options);
  return api("POST", "/v1/webhooks/stripe", { body: payload, headers: { "Stripe-Signature": header } });
}

async function auditRows(where: { type: string; userId?: string; requestId?: string }) {
  const { results } = await env.DB.prepare(
    "SELECT user_id, metadata FROM audit_log WHERE type = ?1 AND (?2 IS NULL OR user_id = ?2) AND (?3 IS NULL OR request_id = ?3)",
  )
    .bind(where.type, where.userId ?? null, where.requestId ?? null)
    .all<{ user_id: string | null; metadata: string }>();
  return results.map((row) => ({ userId: row.user_id, metadata: JSON.parse(row.metadata) as Record<string, unknown> }));
}

async function expectSignatureRefused(response: Response, reason: string) {
  const requestId = response.headers.get("X-Request-Id") ?? "";
  const problem = await expectProblem(response, 400, "validation_failed");
  expect(problem.detail).toBe("The Stripe signature is not valid.");
  expect(await auditRows({ type: "webhook.signature_failed", requestId })).toEqual([
    { userId: null, metadata: { provider: "stripe", reason, count: 1 } },
  ]);
}

async function licenseRows(userId: string) {
  const { results } = await env.DB.prepare("SELECT * FROM licenses WHERE user_id = ?").bind(userId).all();
  return results;
}

function checkoutCompleted(userId: string, imageId: string, extra: Record<string, unknown> = {}) {
  return stripeEvent("checkout.session.completed", {
    id: `cs_test_${crypto.randomUUID()}`,
    object: "checkout.session",
    mode: "payment",
    payment_status: "paid",
    payment_intent: `pi_test_${crypto.randomUUID()}`,
    customer_details: { email: "buyer@example.com", name: "A Buyer" },
    metadata: { userId, imageId },
    ...extra,
  });
}

const PRO_PRICE = "price_test_pro_monthly";

/** A subscription event; `created` (Stripe's event time, unix seconds) orders one subscription's events. */
function subscriptionEvent(
  type: string,
  userId: string,
  status: string,
  options: { subscriptionId?: string; created?: number; price?: string } = {},
) {
  return {
    ...stripeEvent(type, {
      id: options.subscriptionId ?? `sub_test_${crypto.randomUUID()}`,
      object: "subscription",
      status,
      metadata: { userId },
      items: { object: "list", data: [{ id: "si_test", price: { id: options.price ?? PRO_PRICE } }] },
    }),
    created: options.created ?? nowSeconds(),
  };
}

async function me(token: string) {
  const response = await api("GET", "/v1/me", { token });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { plan: string };
  return { plan: body.plan, limit: response.headers.get("RateLimit-Limit") };
}

describe("signature verification over the raw body", () => {
  it("accepts a correctly signed event", async () => {
    const response = await deliver(stripeEvent("customer.created", { id: "cus_test_1", object: "customer" }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: true });
  });

  it("refuses a body changed after signing, and audits it without the header or body", async () => {
    const payload = JSON.stringify(stripeEvent("customer.created", { id: "cus_test_2", object: "customer" }));
    const header = await signature(payload);
    const response = await api("POST", "/v1/webhooks/stripe", {
      body: payload.replace("cus_test_2", "cus_test_3"),
      headers: { "Stripe-Signature": header },
    });
    await expectSignatureRefused(response, "signature");
  });

  it("refuses an event signed with another secret", async () => {
    const response = await deliver(stripeEvent("customer.created", { id: "cus_x", object: "customer" }), {
      secret: "whsec_not_the_configured_secret_0123456789",
    });
    await expectSignatureRefused(response, "signature");
  });

  it.each([
    ["10 minutes old", -600],
    ["10 minutes in the future", 600],
  ])("refuses a timestamp %s, though correctly signed", async (_label, offset) => {
    const response = await deliver(stripeEvent("customer.created", { id: "cus_y", object: "customer" }), {
      timestamp: nowSeconds() + offset,
    });
    await expectSignatureRefused(response, "timestamp");
  });

  it("accepts a timestamp a little off either way (clock skew within 300 s)", async () => {
    for (const offset of [-240, 240]) {
      const event = stripeEvent("customer.created", { id: "cus_z", object: "customer" });
      expect((await deliver(event, { timestamp: nowSeconds() + offset })).status).toBe(200);
    }
  });

  it("refuses a missing Stripe-Signature header", async () => {
    const response = await api("POST", "/v1/webhooks/stripe", {
      body: JSON.stringify(stripeEvent("customer.created", { id: "cus_w", object: "customer" })),
    });
    await expectSignatureRefused(response, "missing_signature");
  });

  it("refuses a header whose timestamp is not an integer", async () => {
    const payload = JSON.stringify(stripeEvent("customer.created", { id: "cus_v", object: "customer" }));
    const header = (await signature(payload)).replace(/^t=(\d+)/, "t=$1abc");
    const response = await api("POST", "/v1/webhooks/stripe", {
      body: payload,
      headers: { "Stripe-Signature": header },
    });
    await expectSignatureRefused(response, "timestamp");
  });

  it("answers 500 server_misconfigured, and processes nothing, without STRIPE_WEBHOOK_SECRET", async () => {
    const payload = JSON.stringify(stripeEvent("customer.created", { id: "cus_u", object: "customer" }));
    const request = new Request("https://edge.test/v1/webhooks/stripe", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "CF-Connecting-IP": "192.0.2.40",
        "Stripe-Signature": await signature(payload),
      },
      body: payload,
    });
    await expectProblem(await fetchWithEnv({ STRIPE_WEBHOOK_SECRET: undefined }, request), 500, "server_misconfigured");
  });
});

describe("replayed events", () => {
  it("processes an event id once; a replay answers 200 duplicate and changes nothing", async () => {
    const user = await registerUser();
    const image = await createImage(user.token);
    const event = checkoutCompleted(user.id, image.id);
    const first = await deliver(event);
    expect(await first.json()).toEqual({ received: true });
    // A replay carries a fresh, valid signature: only the event id tells it apart.
    const replay = await deliver(event);
    expect(replay.status).toBe(200);
    expect(await replay.json()).toEqual({ received: true, duplicate: true });
    expect(await licenseRows(user.id)).toHaveLength(1);
    expect(await auditRows({ type: "license.purchased", userId: user.id })).toHaveLength(1);
  });
});

describe("checkout.session.completed: image licences", () => {
  it("stores a licence with Stripe's ids only, shown to its buyer alone", async () => {
    const buyer = await registerUser();
    const other = await registerUser();
    const image = await createImage(buyer.token);
    const event = checkoutCompleted(buyer.id, image.id);
    expect((await deliver(event)).status).toBe(200);
    const session = event.data.object as { id: string; payment_intent: string };

    const [row, ...more] = await licenseRows(buyer.id);
    expect(more).toEqual([]);
    expect(Object.keys(row ?? {}).sort()).toEqual(
      ["created_at", "id", "image_id", "stripe_checkout_session_id", "stripe_payment_intent_id", "user_id"].sort(),
    );
    expect(row).toMatchObject({
      image_id: image.id,
      stripe_checkout_session_id: session.id,
      stripe_payment_intent_id: session.payment_intent,
    });
    const [audit] = await auditRows({ type: "license.purchased", userId: buyer.id });
    expect(audit?.metadata).toEqual({ licenseId: row?.id, imageId: image.id, checkoutSessionId: session.id });
    expect(JSON.stringify(audit)).not.toContain("buyer@example.com");

    const listed = await api("GET", "/v1/licenses", { token: buyer.token });
    expect(listed.status).toBe(200);
    const body = (await listed.json()) as { data: Record<string, unknown>[]; nextCursor: null };
    expect(body).toEqual({
      data: [
        {
          id: row?.id,
          imageId: image.id,
          stripeCheckoutSessionId: session.id,
          createdAt: new Date(row?.created_at as number).toISOString(),
        },
      ],
      nextCursor: null,
    });
    expect(await (await api("GET", "/v1/licenses", { token: other.token })).json()).toEqual({
      data: [],
      nextCursor: null,
    });
  });

  it("links no image that is not the buyer's", async () => {
    const buyer = await registerUser();
    const owner = await registerUser();
    const foreign = await createImage(owner.token);
    expect((await deliver(checkoutCompleted(buyer.id, foreign.id))).status).toBe(200);
    expect(await licenseRows(buyer.id)).toMatchObject([{ image_id: null }]);
  });

  it("grants nothing for an unpaid session (a delayed payment method) or an unknown user", async () => {
    const buyer = await registerUser();
    const image = await createImage(buyer.token);
    const unpaid = checkoutCompleted(buyer.id, image.id, { payment_status: "unpaid" });
    expect((await deliver(unpaid)).status).toBe(200);
    expect(await licenseRows(buyer.id)).toEqual([]);

    const unknown = checkoutCompleted("usr_nobody", image.id);
    expect(await (await deliver(unknown)).json()).toEqual({ received: true });
    expect(await licenseRows("usr_nobody")).toEqual([]);
  });

  it("grants the licence once when the delayed payment succeeds", async () => {
    const buyer = await registerUser();
    const image = await createImage(buyer.token);
    const completed = checkoutCompleted(buyer.id, image.id, { payment_status: "unpaid" });
    expect((await deliver(completed)).status).toBe(200);
    const succeeded = stripeEvent("checkout.session.async_payment_succeeded", {
      ...completed.data.object,
      payment_status: "paid",
    });
    expect((await deliver(succeeded)).status).toBe(200);
    expect(await licenseRows(buyer.id)).toHaveLength(1);
  });
});

describe("payment intents", () => {
  it.each([
    ["payment_intent.succeeded", "payment.succeeded"],
    ["payment_intent.payment_failed", "payment.failed"],
  ])("%s is audited as %s, without card data", async (eventType, auditType) => {
    const user = await registerUser();
    const intentId = `pi_test_${crypto.randomUUID()}`;
    const event = stripeEvent(eventType, {
      id: intentId,
      object: "payment_intent",
      amount: 1999,
      currency: "eur",
      metadata: { userId: user.id },
      last_payment_error: { payment_method: { card: { brand: "visa", last4: "4242", exp_month: 12 } } },
    });
    expect((await deliver(event)).status).toBe(200);
    expect(await auditRows({ type: auditType, userId: user.id })).toEqual([
      { userId: user.id, metadata: { paymentIntentId: intentId, amount: 1999, currency: "eur" } },
    ]);
  });
});

describe("subscriptions set the plan, effective on the next request", () => {
  it("an active subscription makes the user pro (500/min); its deletion makes them standard (100/min)", async () => {
    const user = await registerUser();
    const subscriptionId = `sub_test_${crypto.randomUUID()}`;
    const created = nowSeconds();
    expect(await me(user.token)).toEqual({ plan: "standard", limit: "100" });

    const start = subscriptionEvent("customer.subscription.created", user.id, "active", { subscriptionId, created });
    expect((await deliver(start)).status).toBe(200);
    expect(await me(user.token)).toEqual({ plan: "pro", limit: "500" });

    const end = subscriptionEvent("customer.subscription.deleted", user.id, "canceled", {
      subscriptionId,
      created: created + 60,
    });
    expect((await deliver(end)).status).toBe(200);
    expect(await me(user.token)).toEqual({ plan: "standard", limit: "100" });

    const audits = await auditRows({ type: "subscription.updated", userId: user.id });
    expect(audits.map((row) => [row.metadata.status, row.metadata.plan])).toEqual([
      ["active", "pro"],
      ["canceled", "standard"],
    ]);
  });

  it("a subscription that is past due makes the user standard", async () => {
    const user = await registerUser();
    const subscriptionId = `sub_test_${crypto.randomUUID()}`;
    const created = nowSeconds();
    await deliver(subscriptionEvent("customer.subscription.created", user.id, "trialing", { subscriptionId, created }));
    expect((await me(user.token)).plan).toBe("pro");
    await deliver(
      subscriptionEvent("customer.subscription.updated", user.id, "past_due", { subscriptionId, created: created + 1 }),
    );
    expect(await me(user.token)).toEqual({ plan: "standard", limit: "100" });
  });

  it("a late `updated: active` delivered after `deleted` does not give pro back", async () => {
    const user = await registerUser();
    const subscriptionId = `sub_test_${crypto.randomUUID()}`;
    const created = nowSeconds() - 120;
    await deliver(subscriptionEvent("customer.subscription.created", user.id, "active", { subscriptionId, created }));
    const deleted = subscriptionEvent("customer.subscription.deleted", user.id, "canceled", {
      subscriptionId,
      created: created + 60,
    });
    expect((await deliver(deleted)).status).toBe(200);
    // Stripe sent this one before the deletion; it arrives after it.
    const late = subscriptionEvent("customer.subscription.updated", user.id, "active", {
      subscriptionId,
      created: created + 30,
    });
    expect(await (await deliver(late)).json()).toEqual({ received: true });
    expect(await me(user.token)).toEqual({ plan: "standard", limit: "100" });
    // Not even a later-stamped event revives a deleted subscription (Stripe never does).
    const revived = subscriptionEvent("customer.subscription.updated", user.id, "active", {
      subscriptionId,
      created: created + 90,
    });
    expect((await deliver(revived)).status).toBe(200);
    expect((await me(user.token)).plan).toBe("standard");
  });

  it("an older event never undoes a newer one, and a tie in `created` never grants pro over a withdrawal", async () => {
    const user = await registerUser();
    const subscriptionId = `sub_test_${crypto.randomUUID()}`;
    const created = nowSeconds() - 120;
    const at = (status: string, seconds: number) =>
      subscriptionEvent("customer.subscription.updated", user.id, status, { subscriptionId, created: seconds });
    await deliver(at("active", created + 10));
    await deliver(at("past_due", created + 20));
    await deliver(at("active", created + 15));
    expect((await me(user.token)).plan).toBe("standard");
    await deliver(at("active", created + 20));
    expect((await me(user.token)).plan).toBe("standard");
    await deliver(at("active", created + 30));
    expect((await me(user.token)).plan).toBe("pro");
    await deliver(at("unpaid", created + 30));
    expect((await me(user.token)).plan).toBe("standard");
  });

  it("Stripe's retry of an event whose handling failed still applies (the order record does not swallow it)", async () => {
    const user = await registerUser();
    const event = subscriptionEvent("customer.subscription.created", user.id, "active");
    await duringFault("users", "UPDATE", () => deliver(event));
    expect((await me(user.token)).plan).toBe("standard");
    const retried = await deliver(event);
    expect(await retried.json()).toEqual({ received: true });
    expect((await me(user.token)).plan).toBe("pro");
  });

  it("an active subscription to a price not named in STRIPE_PRO_PRICE_IDS does not make the user pro", async () => {
    const user = await registerUser();
    const unknown = subscriptionEvent("customer.subscription.created", user.id, "active", {
      price: "price_attacker_one_cent",
    });
    expect((await deliver(unknown)).status).toBe(200);
    expect(await me(user.token)).toEqual({ plan: "standard", limit: "100" });
    const yearly = subscriptionEvent("customer.subscription.created", user.id, "active", {
      price: "price_test_pro_yearly",
    });
    expect((await deliver(yearly)).status).toBe(200);
    expect((await me(user.token)).plan).toBe("pro");
  });

  it("leaves an enterprise user's plan and custom limit alone", async () => {
    const user = await registerUser();
    const patched = await asOperator("PATCH", `/v1/admin/users/${user.id}`, {
      body: { plan: "enterprise", rateLimitPerMinute: 42 },
    });
    expect(patched.status).toBe(200);
    await deliver(subscriptionEvent("customer.subscription.deleted", user.id, "canceled"));
    expect(await me(user.token)).toEqual({ plan: "enterprise", limit: "42" });
  });
});

describe("other events", () => {
  it("acknowledges an unknown event type and ignores it", async () => {
    const response = await deliver(stripeEvent("invoice.finalized", { id: "in_test_1", object: "invoice" }));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ received: true });
  });

  it("acknowledges an event type named like an Object.prototype member", async () => {
    const response = await deliver(stripeEvent("constructor", { id: "x" }));
    expect(await response.json()).toEqual({ received: true });
  });
});

describe("bad signatures and the per-IP budget", () => {
  it("count against the sender's IP, so the audit log cannot be flooded", async () => {
    const ip = randomIp();
    const response = await api("POST", "/v1/webhooks/stripe", {
      ip,
      body: JSON.stringify({ id: "evt_flood", type: "ping" }),
      headers: { "Stripe-Signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` },
    });
    expect(response.status).toBe(400);
    expect(response.headers.get("RateLimit-Limit")).toBe("1000");
    expect(response.headers.get("RateLimit-Remaining")).toBe("999");
  });

  function badSignatureFrom(ip: string) {
    return api("POST", "/v1/webhooks/stripe", {
      ip,
      body: JSON.stringify({ id: "evt_flood", type: "ping" }),
      headers: { "Stripe-Signature": `t=${Math.floor(Date.now() / 1000)},v1=${"0".repeat(64)}` },
    });
  }
  async function signatureFailureRows(ip: string) {
    const { results } = await env.DB.prepare(
      "SELECT json_extract(metadata, '$.count') AS count FROM audit_log WHERE type = 'webhook.signature_failed' AND ip = ?",
    )
      .bind(ip)
      .all<{ count: number }>();
    return results.map((row) => row.count);
  }
  /** The rows are per minute: a burst that would straddle one minute's end waits for the next. */
  async function awayFromMinuteEnd() {
    const intoMinute = Date.now() % 60_000;
    if (intoMinute > 45_000) await new Promise((resolve) => setTimeout(resolve, 60_500 - intoMinute));
  }

  it("30 bad signatures from one address within a minute write one audit row with count 30", async () => {
    await awayFromMinuteEnd();
    const ip = randomIp();
    for (let index = 0; index < 30; index += 1) expect((await badSignatureFrom(ip)).status).toBe(400);
    expect(await signatureFailureRows(ip)).toEqual([30]);
  });

  it("bad signatures from two addresses are counted in a row each", async () => {
    await awayFromMinuteEnd();
    const [first, second] = [randomIp(), randomIp()];
    for (let index = 0; index < 5; index += 1) {
      await badSignatureFrom(first);
      await badSignatureFrom(second);
    }
    expect(await signatureFailureRows(first)).toEqual([5]);
    expect(await signatureFailureRows(second)).toEqual([5]);
  });

  it("20 concurrent bad signatures from one address are all counted, in one row", async () => {
    await awayFromMinuteEnd();
    const ip = randomIp();
    const responses = await Promise.all(Array.from({ length: 20 }, () => badSignatureFrom(ip)));
    expect(responses.map((response) => response.status)).toEqual(Array(20).fill(400));
    expect(await signatureFailureRows(ip)).toEqual([20]);
  });
});
