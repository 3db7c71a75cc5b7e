import * as z from "zod";
import type { AccessPolicy } from "./auth/access";
import type { Principal } from "./auth/principal";
import type { AlertThresholds } from "./domain/alert-rules";
import type { AccountGuard } from "./durable-objects/account-guard";
import type { AlertDesk } from "./durable-objects/alert-desk";
import type { IpBlockList } from "./durable-objects/ip-block-list";
import type { IpGuard } from "./durable-objects/ip-guard";
import type { SecurityMonitor } from "./durable-objects/security-monitor";
import type { UserGuard } from "./durable-objects/user-guard";

/** What wrangler.toml and the secrets give the Worker. Secrets are optional here: `loadConfig` checks them. */
export interface Bindings {
  DB: D1Database;
  IMAGES: R2Bucket;
  USER_GUARD: DurableObjectNamespace<UserGuard>;
  IP_GUARD: DurableObjectNamespace<IpGuard>;
  ACCOUNT_GUARD: DurableObjectNamespace<AccountGuard>;
  IP_BLOCK_LIST: DurableObjectNamespace<IpBlockList>;
  SECURITY_MONITOR: DurableObjectNamespace<SecurityMonitor>;
  /** The alert desk (one instance, "global"): de-duplicates alerts and delivers them to the webhook. */
  ALERT_DESK: DurableObjectNamespace<AlertDesk>;
  /** The shield (Workers Rate Limiting, per location): requests without a valid credential, by IP. */
  ANONYMOUS_SHIELD: RateLimit;
  /** The shield in front of the user's guard, by user id. */
  USER_SHIELD: RateLimit;
  /** The mail queue (producer): outbox mail ids to deliver, when MAIL_TRANSPORT is not `outbox`. */
  MAIL_QUEUE?: Queue<MailDeliveryMessage>;
  /** Cloudflare Email Service binding, used when MAIL_TRANSPORT = "send_email". */
  SEND_EMAIL?: SendEmail;
  /** Workers AI, used when IMAGE_GENERATOR = "workers-ai". */
  AI?: Ai;
  ENVIRONMENT?: string;
  ALLOWED_ORIGINS?: string;
  JWT_SECRET?: string;
  JWT_SECRET_PREVIOUS?: string;
  ADMIN_TOKEN?: string;
  LOCKOUT_MINUTES?: string;
  APP_URL?: string;
  MAIL_TRANSPORT?: string;
  MAIL_FROM?: string;
  MAIL_HTTP_URL?: string;
  MAIL_HTTP_TOKEN?: string;
  IMAGE_GENERATOR?: string;
  IMAGE_MODEL?: string;
  STRIPE_WEBHOOK_SECRET?: string;
  STRIPE_PRO_PRICE_IDS?: string;
  TOTP_ENCRYPTION_KEY?: string;
  TOTP_ENCRYPTION_KEY_PREVIOUS?: string;
  // Sign in with another provider (API.md "Sign in with another provider"): each is on when set.
  GITHUB_CLIENT_ID?: string;
  GITHUB_CLIENT_SECRET?: string;
  GOOGLE_CLIENT_ID?: string;
  GOOGLE_CLIENT_SECRET?: string;
  OIDC_ISSUER?: string;
  OIDC_CLIENT_ID?: string;
  OIDC_CLIENT_SECRET?: string;
  OIDC_NAME?: string;
  WEBAUTHN_RP_ID?: string;
  WEBAUTHN_ORIGINS?: string;
  // Alerts (API.md "Operator", README "Alerts").
  ALERT_WEBHOOK_URL?: string;
  ALERT_WEBHOOK_SECRET?: string;
  ALERT_FAILED_LOGINS_PER_MINUTE?: string;
  ALERT_ACCOUNT_ADDRESSES?: string;
  ALERT_NETWORK_ACCOUNTS?: string;
  ALERT_KEY_REJECTIONS_PER_MINUTE?: string;
}

/** A mail queue message: the outbox row's id only (the text stays in D1). */
export interface MailDeliveryMessage {
  mailId: string;
}

const MIN_SECRET_BYTES = 32;

const secret = (name: string) =>
  z
    .string({ error: `${name} is not set` })
    .refine((value) => new TextEncoder().encode(value).byteLength >= MIN_SECRET_BYTES, {
      error: `${name} must be at least ${MIN_SECRET_BYTES} bytes`,
    });

const alertThreshold = (name: string, fallback: number) =>
  z.coerce
    .number({ error: `${name} must be a positive integer` })
    .int({ error: `${name} must be a positive integer` })
    .min(1, { error: `${name} must be a positive integer` })
    .max(1_000_000, { error: `${name} must be at most 1000000` })
    .default(fallback);

const configSchema = z
  .object({
    ENVIRONMENT: z.enum(["development", "staging", "production"], {
      error: "ENVIRONMENT must be development, staging or production",
    }),
    ALLOWED_ORIGINS: z
      .string()
      .default("")
      .transform((list) =>
        list
          .split(",")
          .map((origin) => origin.trim())
          .filter(Boolean),
      ),
    JWT_SECRET: secret("JWT_SECRET"),
    JWT_SECRET_PREVIOUS: secret("JWT_SECRET_PREVIOUS").optional(),
    ADMIN_TOKEN: secret("ADMIN_TOKEN").optional(),
    LOCKOUT_MINUTES: z.coerce
      .number({ error: "LOCKOUT_MINUTES must be a number of minutes" })
      .int()
      .min(1, { error: "LOCKOUT_MINUTES must be at least 1" })
      .max(43_200, { error: "LOCKOUT_MINUTES must be at most 43200 (30 days)" })
      .default(60),
    /** The frontend that links in mails point to (reset page). */
    APP_URL: z.url({ protocol: /^https?$/, error: "APP_URL must be an http(s) URL" }).default("http://127.0.0.1:8787"),
    MAIL_TRANSPORT: z
      .enum(["outbox", "send_email", "http"], { error: "MAIL_TRANSPORT must be outbox, send_email or http" })
      .default("outbox"),
    MAIL_FROM: z.string().default("ImageBot <no-reply@imagebot.app>"),
    MAIL_HTTP_URL: z.url({ protocol: /^https$/, error: "MAIL_HTTP_URL must be an https URL" }).optional(),
    MAIL_HTTP_TOKEN: z.string().min(1).optional(),
    IMAGE_GENERATOR: z
      .enum(["local", "workers-ai"], { error: "IMAGE_GENERATOR must be local or workers-ai" })
      .default("local"),
    /** The Workers AI text-to-image model (IMAGE_GENERATOR=workers-ai). */
    IMAGE_MODEL: z.string().min(1).default("@cf/black-forest-labs/flux-1-schnell"),
    /** Stripe's signing secret of the webhook endpoint (`whsec_…`); without it the webhook refuses. */
    STRIPE_WEBHOOK_SECRET: z.string().min(16, { error: "STRIPE_WEBHOOK_SECRET is too short" }).optional(),
    /** Comma-separated Stripe price ids whose subscriptions make a user pro; none set, none does. */
    STRIPE_PRO_PRICE_IDS: z
      .string()
      .default("")
      .transform((list) =>
        list
          .split(",")
          .map((price) => price.trim())
          .filter(Boolean),
      ),
    /** Encrypts TOTP secrets at rest; without it, two-factor enrolment refuses (500). */
    TOTP_ENCRYPTION_KEY: secret("TOTP_ENCRYPTION_KEY").optional(),
    /** The key before the last rotation: it still opens the secrets it sealed, which are re-sealed on use. */
    TOTP_ENCRYPTION_KEY_PREVIOUS: secret("TOTP_ENCRYPTION_KEY_PREVIOUS").optional(),
    // ── Sign-in providers (issue 17). A provider is enabled when its id and secret are set, and
    // has no routes otherwise; setting only one of the pair is a mistake the service refuses.
    GITHUB_CLIENT_ID: z.string().min(1).optional(),
    GITHUB_CLIENT_SECRET: z.string().min(1).optional(),
    GOOGLE_CLIENT_ID: z.string().min(1).optional(),
    GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
    /** Any OpenID provider, by its issuer URL (discovery at `<issuer>/.well-known/openid-configuration`). */
    OIDC_ISSUER: z.url({ protocol: /^https?$/, error: "OIDC_ISSUER must be an http(s) URL" }).optional(),
    OIDC_CLIENT_ID: z.string().min(1).optional(),
    OIDC_CLIENT_SECRET: z.string().min(1).optional(),
    /** The OIDC provider's name on the console's button. */
    OIDC_NAME: z.string().min(1).max(40).default("OpenID Connect"),
    // ---- Passkeys (API.md "Passkeys") ----
    /**
     * The WebAuthn relying party id: the registrable domain passkeys are bound to (never an IP
     * address, which WebAuthn refuses). Defaults to `localhost` in development only.
     */
    WEBAUTHN_RP_ID: z
      .string()
      .regex(/^(?=.*[a-z])[a-z0-9.-]+$/, {
        error: "WEBAUTHN_RP_ID must be a domain name (never an IP address)",
      })
      .optional(),
    /** Comma-separated origins whose pages may use passkeys (each `https://…`, or `http://localhost:<port>`). */
    WEBAUTHN_ORIGINS: z
      .string()
      .optional()
      .transform((list) =>
        (list ?? "")
          .split(",")
          .map((origin) => origin.trim())
          .filter(Boolean),
      )
      .pipe(
        z.array(
          z.url({
            protocol: /^https?$/,
            error: "WEBAUTHN_ORIGINS must be a comma-separated list of http(s) origins",
          }),
        ),
      ),
    // ---- Alerts (API.md "Operator": alerts) ----
    /** Where each alert is POSTed, signed; unset, alerts are only kept (and listed at /dev/alerts locally). */
    ALERT_WEBHOOK_URL: z.url({ protocol: /^https?$/, error: "ALERT_WEBHOOK_URL must be an http(s) URL" }).optional(),
    /** Signs each POST (`X-ImageBot-Signature`), so the receiver can tell our alerts from forged ones. */
    ALERT_WEBHOOK_SECRET: secret("ALERT_WEBHOOK_SECRET").optional(),
    ALERT_FAILED_LOGINS_PER_MINUTE: alertThreshold("ALERT_FAILED_LOGINS_PER_MINUTE", 100),
    ALERT_ACCOUNT_ADDRESSES: alertThreshold("ALERT_ACCOUNT_ADDRESSES", 10),
    ALERT_NETWORK_ACCOUNTS: alertThreshold("ALERT_NETWORK_ACCOUNTS", 10),
    ALERT_KEY_REJECTIONS_PER_MINUTE: alertThreshold("ALERT_KEY_REJECTIONS_PER_MINUTE", 50),
  })
  .superRefine((config, context) => {
    const pairs = [
      ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET"],
      ["GOOGLE_CLIENT_ID", "GOOGLE_CLIENT_SECRET"],
      ["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"],
    ] as const;
    for (const [id, secretName] of pairs) {
      if (Boolean(config[id]) !== Boolean(config[secretName])) {
        context.addIssue({ code: "custom", message: `${id} and ${secretName} must be set together` });
      }
    }
    if (Boolean(config.OIDC_ISSUER) !== Boolean(config.OIDC_CLIENT_ID)) {
      context.addIssue({ code: "custom", message: "OIDC_ISSUER needs OIDC_CLIENT_ID and OIDC_CLIENT_SECRET" });
    }
    // An issuer over plain HTTP lets anyone on the path swap its keys: only the local e2e issuer may.
    if (config.OIDC_ISSUER?.startsWith("http:") && config.ENVIRONMENT !== "development") {
      context.addIssue({ code: "custom", message: "OIDC_ISSUER must be an https URL outside development" });
    }
    // The local renderer draws gradients: anywhere but development it would "generate" fakes.
    if (config.ENVIRONMENT !== "development" && config.IMAGE_GENERATOR !== "workers-ai") {
      context.addIssue({ code: "custom", message: "IMAGE_GENERATOR must be workers-ai outside development" });
    }
    // Without them every mail would fail at delivery and keep its text (a live link) in the outbox:
    // better refuse to start than to run and strand mail.
    if (config.MAIL_TRANSPORT === "http" && !(config.MAIL_HTTP_URL && config.MAIL_HTTP_TOKEN)) {
      context.addIssue({ code: "custom", message: "MAIL_TRANSPORT=http needs MAIL_HTTP_URL and MAIL_HTTP_TOKEN" });
    }
    // An unsigned alert can be forged by anyone who learns the URL, and a plain-HTTP one read on the
    // way: only a developer's local receiver may have either.
    if (config.ENVIRONMENT !== "development" && config.ALERT_WEBHOOK_URL) {
      if (!config.ALERT_WEBHOOK_SECRET) {
        context.addIssue({
          code: "custom",
          message: "ALERT_WEBHOOK_URL needs ALERT_WEBHOOK_SECRET outside development",
        });
      }
      if (config.ALERT_WEBHOOK_URL.startsWith("http:")) {
        context.addIssue({ code: "custom", message: "ALERT_WEBHOOK_URL must be an https URL outside development" });
      }
    }
    // A deployment's passkeys are bound to its real domain: a localhost default there would make
    // every passkey unusable (or, worse, bound to the wrong site), so it must be said.
    if (config.ENVIRONMENT !== "development" && !(config.WEBAUTHN_RP_ID && config.WEBAUTHN_ORIGINS.length > 0)) {
      context.addIssue({
        code: "custom",
        message: "WEBAUTHN_RP_ID and WEBAUTHN_ORIGINS must be set outside development",
      });
    }
  });

export type Config = z.infer<typeof configSchema>;

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

// Bindings objects are stable per isolate, so the parse runs once, not per request.
const parsedConfigs = new WeakMap<Bindings, ConfigResult>();

/**
 * Parses configuration at the boundary. A missing or weak secret is reported by the names of
 * the settings at fault (never their values), so the service refuses to run insecurely.
 */
export function loadConfig(env: Bindings): ConfigResult {
  const cached = parsedConfigs.get(env);
  if (cached) return cached;
  const parsed = configSchema.safeParse({
    ENVIRONMENT: env.ENVIRONMENT,
    ALLOWED_ORIGINS: env.ALLOWED_ORIGINS,
    JWT_SECRET: env.JWT_SECRET,
    JWT_SECRET_PREVIOUS: env.JWT_SECRET_PREVIOUS || undefined,
    ADMIN_TOKEN: env.ADMIN_TOKEN || undefined,
    LOCKOUT_MINUTES: env.LOCKOUT_MINUTES || undefined,
    APP_URL: env.APP_URL || undefined,
    MAIL_TRANSPORT: env.MAIL_TRANSPORT || undefined,
    MAIL_FROM: env.MAIL_FROM || undefined,
    MAIL_HTTP_URL: env.MAIL_HTTP_URL || undefined,
    MAIL_HTTP_TOKEN: env.MAIL_HTTP_TOKEN || undefined,
    IMAGE_GENERATOR: env.IMAGE_GENERATOR || undefined,
    IMAGE_MODEL: env.IMAGE_MODEL || undefined,
    STRIPE_WEBHOOK_SECRET: env.STRIPE_WEBHOOK_SECRET || undefined,
    STRIPE_PRO_PRICE_IDS: env.STRIPE_PRO_PRICE_IDS || undefined,
    TOTP_ENCRYPTION_KEY: env.TOTP_ENCRYPTION_KEY || undefined,
    TOTP_ENCRYPTION_KEY_PREVIOUS: env.TOTP_ENCRYPTION_KEY_PREVIOUS || undefined,
    GITHUB_CLIENT_ID: env.GITHUB_CLIENT_ID || undefined,
    GITHUB_CLIENT_SECRET: env.GITHUB_CLIENT_SECRET || undefined,
    GOOGLE_CLIENT_ID: env.GOOGLE_CLIENT_ID || undefined,
    GOOGLE_CLIENT_SECRET: env.GOOGLE_CLIENT_SECRET || undefined,
    OIDC_ISSUER: env.OIDC_ISSUER || undefined,
    OIDC_CLIENT_ID: env.OIDC_CLIENT_ID || undefined,
    OIDC_CLIENT_SECRET: env.OIDC_CLIENT_SECRET || undefined,
    OIDC_NAME: env.OIDC_NAME || undefined,
    WEBAUTHN_RP_ID: env.WEBAUTHN_RP_ID || undefined,
    WEBAUTHN_ORIGINS: env.WEBAUTHN_ORIGINS || undefined,
    ALERT_WEBHOOK_URL: env.ALERT_WEBHOOK_URL || undefined,
    ALERT_WEBHOOK_SECRET: env.ALERT_WEBHOOK_SECRET || undefined,
    ALERT_FAILED_LOGINS_PER_MINUTE: env.ALERT_FAILED_LOGINS_PER_MINUTE || undefined,
    ALERT_ACCOUNT_ADDRESSES: env.ALERT_ACCOUNT_ADDRESSES || undefined,
    ALERT_NETWORK_ACCOUNTS: env.ALERT_NETWORK_ACCOUNTS || undefined,
    ALERT_KEY_REJECTIONS_PER_MINUTE: env.ALERT_KEY_REJECTIONS_PER_MINUTE || undefined,
  });
  const problems = parsed.success ? [] : parsed.error.issues.map((issue) => issue.message);
  if (parsed.success && parsed.data.IMAGE_GENERATOR === "workers-ai" && !env.AI) {
    problems.push("IMAGE_GENERATOR=workers-ai needs the AI binding");
  }
  // Mail over a transport goes through the queue (retries, dead letters): without it, none would leave.
  if (parsed.success && parsed.data.MAIL_TRANSPORT !== "outbox" && !env.MAIL_QUEUE) {
    problems.push(`MAIL_TRANSPORT=${parsed.data.MAIL_TRANSPORT} needs the MAIL_QUEUE binding`);
  }
  const result: ConfigResult =
    parsed.success && problems.length === 0 ? { ok: true, config: parsed.data } : { ok: false, problems };
  parsedConfigs.set(env, result);
  return result;
}

/** The alert rules' thresholds, as the configuration sets them. */
export function alertThresholdsOf(config: Config): AlertThresholds {
  return {
    failedLoginsPerMinute: config.ALERT_FAILED_LOGINS_PER_MINUTE,
    accountAddresses: config.ALERT_ACCOUNT_ADDRESSES,
    networkAccounts: config.ALERT_NETWORK_ACCOUNTS,
    keyRejectionsPerMinute: config.ALERT_KEY_REJECTIONS_PER_MINUTE,
  };
}

export interface Variables {
  requestId: string;
  config: Config;
  /** From `CF-Connecting-IP` only: Cloudflare sets it and clients cannot override it. */
  clientIp: string;
  /** Set by `authenticate` on session routes; read it with `principalOf(c)`. */
  principal: Principal | undefined;
  /** The matched endpoint's access policy (its team action is checked by `authorizeOwner`). */
  access: AccessPolicy | undefined;
  /** Set by logout and refresh: the presented token is dead, so no sliding refresh for it. */
  tokenRetired: boolean;
}

export type AppEnv = { Bindings: Bindings; Variables: Variables };
