import { createRoute } from "@hono/zod-openapi";
import type { Context } from "hono";
import * as z from "zod";
import { unmeteredPublic } from "../../auth/access";
import { admitAnonymous } from "../../auth/admit";
import { auditContext } from "../../auth/audit-context";
import { newId } from "../../crypto/random";
import { recordAuditEvent, recordRepeatedFailure } from "../../db/audit";
import { type Database, database } from "../../db/client";
import { findImageOfUser, insertLicense } from "../../db/licenses";
import { claimSubscriptionEvent, forgetStripeEvent, recordStripeEvent } from "../../db/stripe-events";
import { findUserById, updateUserPlan } from "../../db/users";
import { type Plan, requestsPerMinute } from "../../domain/plans";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { withUserGuard } from "../../services/guard-client";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";

/** API.md "Webhooks": 300 s both ways. Never 0: the SDK reads 0 as "skip the timestamp check". */
const TOLERANCE_SECONDS = 300;

/**
 * The Stripe SDK, imported on a webhook's first use rather than with the Worker: it is hundreds
 * of modules that no other route needs, and every isolate start (and every test file) would load
 * them. The module registry keeps it, so later imports cost nothing.
 */
const stripeSdk = async () => (await import("stripe")).default;

const invalidSignature = () => new ApiError("validation_failed", { detail: "The Stripe signature is not valid." });

type Refusal = "missing_signature" | "timestamp" | "signature" | "payload";

/**
 * The `t=` of a `Stripe-Signature` header, split as the SDK splits it; null unless there is
 * exactly one and it is an integer (the SDK would take the last of several, and `parseInt`
 * accepts trailing junk).
 */
function signedAtSeconds(header: string): number | null {
  const values = header
    .split(",")
    .filter((item) => item.startsWith("t="))
    .map((item) => item.slice(2));
  const [value] = values;
  if (values.length !== 1 || value === undefined || !/^\d{1,12}$/.test(value)) return null;
  return Number(value);
}

/**
 * Verifies the signature over the raw body with the official SDK. The SDK only refuses
 * timestamps too far in the past, so one too far in the future is refused here first.
 */
async function verifiedPayload(c: Context<AppEnv>, secret: string): Promise<unknown> {
  const header = c.req.header("Stripe-Signature");
  if (!header) return refuse(c, "missing_signature");
  const signedAt = signedAtSeconds(header);
  if (signedAt === null || Math.abs(Math.floor(Date.now() / 1000) - signedAt) > TOLERANCE_SECONDS) {
    return refuse(c, "timestamp");
  }
  const rawBody = await c.req.text();
  const Stripe = await stripeSdk();
  try {
    // Web Crypto, which is async only: hence `constructEventAsync`, never `constructEvent`.
    const cryptoProvider = Stripe.createSubtleCryptoProvider();
    return await Stripe.webhooks.constructEventAsync(rawBody, header, secret, TOLERANCE_SECONDS, cryptoProvider);
  } catch (error) {
    // A verification error is a bad signature (or a stale timestamp); anything else is a body
    // signed with our secret that is no snapshot event (not JSON, a thin event).
    return refuse(c, error instanceof Stripe.errors.StripeSignatureVerificationError ? "signature" : "payload");
  }
}

/**
 * Audits the refusal by its reason only: the header and the body are never recorded. A delivery
 * without a valid signature is a request without a valid credential, so it counts against its
 * IP like any other (Stripe's own, validly signed deliveries never do), and the refusals of one
 * address are one audit row per reason and minute with a count: nobody can flood the audit log
 * through this route.
 */
async function refuse(c: Context<AppEnv>, reason: Refusal): Promise<never> {
  await admitAnonymous(c);
  await recordRepeatedFailure(database(c.env.DB), auditContext(c), {
    type: "webhook.signature_failed",
    metadata: { provider: "stripe", reason },
  });
  throw invalidSignature();
}

// Only the fields read below are parsed; Stripe adds fields freely, so objects are not strict.
const metadataSchema = z.record(z.string(), z.string()).nullish();
/**
 * Ids that are stored in a column are well-formed text, as everywhere else in the API: a lone
 * UTF-16 surrogate would be stored as U+FFFD, so two distinct ids could collide.
 */
const isWellFormed = (value: string) => value.isWellFormed();
const wellFormed = z.string().refine(isWellFormed);
const stripeId = z.string().min(1).max(255).refine(isWellFormed);
const eventSchema = z.object({
  id: stripeId,
  type: stripeId,
  /** When Stripe created the event (unix seconds): orders a subscription's events. */
  created: z.int().nonnegative().optional(),
  data: z.object({ object: z.unknown() }),
});
const checkoutSessionSchema = z.object({
  id: stripeId,
  payment_status: z.string(),
  payment_intent: z.union([wellFormed, z.object({ id: wellFormed })]).nullish(),
  metadata: metadataSchema,
});
const paymentIntentSchema = z.object({
  id: z.string().min(1).max(255),
  amount: z.number(),
  currency: z.string().max(10),
  metadata: metadataSchema,
});
const subscriptionSchema = z.object({
  id: stripeId,
  status: z.string().max(50),
  metadata: metadataSchema,
  /** The subscription's prices: only those named in STRIPE_PRO_PRICE_IDS make a user pro. */
  items: z
    .object({ data: z.array(z.object({ price: z.object({ id: z.string().max(255) }).nullish() })).max(100) })
    .nullish(),
});

type Handler = (c: Context<AppEnv>, db: Database, event: z.infer<typeof eventSchema>) => Promise<void>;

/** `metadata.userId` of a Stripe object, if it names a user of ours (our checkout code sets it). */
async function knownUser(db: Database, metadata: Record<string, string> | null | undefined) {
  const userId = metadata?.userId;
  return userId ? findUserById(db, userId) : undefined;
}

function parseObject<T extends z.ZodType>(schema: T, event: z.infer<typeof eventSchema>): z.infer<T> | undefined {
  const parsed = schema.safeParse(event.data.object);
  if (!parsed.success) console.warn(`stripe event ${event.type} has an unexpected shape; ignored`);
  return parsed.success ? parsed.data : undefined;
}

/**
 * A licence purchase: a paid checkout session whose metadata names the buyer and the image.
 * Only Stripe's ids are kept. A session paid later (bank debits) completes unpaid and arrives
 * again as `checkout.session.async_payment_succeeded`.
 */
const grantLicense: Handler = async (c, db, event) => {
  const session = parseObject(checkoutSessionSchema, event);
  if (!session || !["paid", "no_payment_required"].includes(session.payment_status)) return;
  const imageId = session.metadata?.imageId;
  const user = imageId ? await knownUser(db, session.metadata) : undefined;
  if (!user || !imageId) return;
  const image = await findImageOfUser(db, user.id, imageId);
  const paymentIntent = session.payment_intent;
  const license = await insertLicense(db, {
    id: newId("lic"),
    userId: user.id,
    imageId: image?.id ?? null,
    stripeCheckoutSessionId: session.id,
    stripePaymentIntentId: typeof paymentIntent === "string" ? paymentIntent : (paymentIntent?.id ?? null),
    createdAt: new Date(),
  });
  // Undefined when this session's licence exists already (another event of the same purchase).
  if (!license) return;
  await recordAuditEvent(db, auditContext(c), {
    type: "license.purchased",
    userId: user.id,
    metadata: { licenseId: license.id, imageId: license.imageId, checkoutSessionId: session.id },
  });
};

function auditPayment(type: "payment.succeeded" | "payment.failed"): Handler {
  return async (c, db, event) => {
    const intent = parseObject(paymentIntentSchema, event);
    const user = intent ? await knownUser(db, intent.metadata) : undefined;
    if (!intent || !user) return;
    await recordAuditEvent(db, auditContext(c), {
      type,
      userId: user.id,
      metadata: { paymentIntentId: intent.id, amount: intent.amount, currency: intent.currency },
    });
  };
}

/**
 * Whether a subscription event grants pro: an active or trialing subscription, not deleted, with
 * at least one price named in STRIPE_PRO_PRICE_IDS (any other price, or none configured, grants
 * nothing: a subscription to some other product never makes a user pro).
 */
function grantsPro(
  eventType: string,
  subscription: z.infer<typeof subscriptionSchema>,
  proPriceIds: readonly string[],
): boolean {
  const paying = subscription.status === "active" || subscription.status === "trialing";
  if (!paying || eventType === "customer.subscription.deleted") return false;
  const prices = subscription.items?.data.map((item) => item.price?.id) ?? [];
  return prices.some((price) => price !== undefined && proPriceIds.includes(price));
}

const applySubscription: Handler = async (c, db, event) => {
  const subscription = parseObject(subscriptionSchema, event);
  const user = subscription ? await knownUser(db, subscription.metadata) : undefined;
  if (!subscription || !user) return;
  if (event.created === undefined) {
    // Stripe always sets it; without it the event cannot be ordered, so it cannot be trusted.
    console.warn(`stripe event ${event.type} has no created time; ignored`);
    return;
  }
  const pro = grantsPro(event.type, subscription, c.get("config").STRIPE_PRO_PRICE_IDS);
  // Stripe delivers out of order: an event older than the last one applied to this subscription
  // changes nothing (a late "updated: active" after "deleted" does not give pro back).
  const latest = await claimSubscriptionEvent(db, {
    subscriptionId: subscription.id,
    eventId: event.id,
    created: event.created,
    grantsPro: pro,
    deleted: event.type === "customer.subscription.deleted",
  });
  if (!latest) return;
  // An enterprise plan is the operator's to set: a subscription neither grants nor ends it.
  const plan: Plan = user.plan === "enterprise" ? "enterprise" : pro ? "pro" : "standard";
  const audit = {
    context: auditContext(c),
    event: {
      type: "subscription.updated" as const,
      userId: user.id,
      metadata: { subscriptionId: subscription.id, status: subscription.status, plan },
    },
  };
  if (user.plan === "enterprise") {
    await recordAuditEvent(db, audit.context, audit.event);
    return;
  }
  const limit = requestsPerMinute(plan, user.rateLimitPerMinute);
  // The user's guard first: it is what the next request asks.
  await withUserGuard(c.env, user.id, (guard) => guard.setRequestLimit(limit));
  await updateUserPlan(db, user.id, { plan }, audit);
};

// A Map, not an object literal: an event type such as "constructor" must find no handler.
const handlers = new Map<string, Handler>([
  ["checkout.session.completed", grantLicense],
  ["checkout.session.async_payment_succeeded", grantLicense],
  ["payment_intent.succeeded", auditPayment("payment.succeeded")],
  ["payment_intent.payment_failed", auditPayment("payment.failed")],
  ["customer.subscription.created", applySubscription],
  ["customer.subscription.updated", applySubscription],
  ["customer.subscription.deleted", applySubscription],
]);

export const stripeWebhookResponseSchema = z.object({
  received: z.literal(true),
  duplicate: z.literal(true).optional(),
});

export const stripeWebhook = defineEndpoint({
  access: unmeteredPublic,
  rawBody: true,
  route: createRoute({
    method: "post",
    operationId: "receiveStripeWebhook",
    path: "/v1/webhooks/stripe",
    tags: ["webhooks"],
    summary: "Stripe events (purchases, payments, subscriptions); signed, not rate limited",
    // No body schema on purpose: the signature covers the raw bytes, so nothing may parse or
    // re-serialise the body before it is verified.
    description: [
      "The body is a Stripe event (application/json, at most 64 KiB) exactly as Stripe sent it, with",
      "its `Stripe-Signature` header (`t=<unix seconds>,v1=<HMAC-SHA256 hex>`), verified over the raw",
      "body with the endpoint's signing secret. The timestamp must be within 300 s of now, either way.",
      "A replayed event id answers 200 with `duplicate: true` and changes nothing.",
      "Handled: `checkout.session.completed` and `checkout.session.async_payment_succeeded` (a paid",
      "session with `metadata.userId` and `metadata.imageId` grants an image licence),",
      "`payment_intent.succeeded` / `payment_intent.payment_failed` (audited for `metadata.userId`),",
      "`customer.subscription.created|updated|deleted` (`metadata.userId` gets the pro plan while the",
      "subscription is active or trialing with a price named in STRIPE_PRO_PRICE_IDS, standard otherwise;",
      "enterprise users are left alone). A subscription's events apply in the order of the event's",
      "`created`: an older one than the last applied is acknowledged and ignored; at equal `created`",
      "only one that grants nothing applies; nothing applies after `customer.subscription.deleted`.",
      "Other types, and events of unknown users, are acknowledged and ignored.",
    ].join(" "),
    responses: {
      200: jsonResponse("Received", stripeWebhookResponseSchema),
      400: problemResponse("validation_failed (missing or bad signature, stale or future timestamp)"),
      413: problemResponse("payload_too_large"),
      415: problemResponse("unsupported_media_type"),
      500: problemResponse("server_misconfigured (STRIPE_WEBHOOK_SECRET is not set)"),
      503: problemResponse("unavailable (retried by Stripe)"),
    },
  }),
  handler: async (c) => {
    const secret = c.get("config").STRIPE_WEBHOOK_SECRET;
    if (!secret) {
      console.error("STRIPE_WEBHOOK_SECRET is not set: the Stripe webhook refuses every event");
      throw new ApiError("server_misconfigured");
    }
    const parsed = eventSchema.safeParse(await verifiedPayload(c, secret));
    if (!parsed.success) throw new ApiError("validation_failed", { detail: "The body is not a Stripe event." });
    const event = parsed.data;
    const db = database(c.env.DB);
    if (!(await recordStripeEvent(db, event.id, event.type, new Date()))) {
      return c.json({ received: true as const, duplicate: true as const }, 200);
    }
    const handle = handlers.get(event.type);
    if (handle) {
      try {
        await handle(c, db, event);
      } catch (error) {
        // Unrecorded, Stripe's retry (it retries any non-2xx) is processed instead of skipped.
        await forgetStripeEvent(db, event.id);
        throw error;
      }
    }
    return c.json({ received: true as const }, 200);
  },
});
