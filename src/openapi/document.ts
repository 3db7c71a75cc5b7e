import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AccessPolicy } from "../auth/access";
import type { AppEnv } from "../env";

/**
 * The parts of /openapi.json that are not a route: who serves it, under which licence, the
 * areas (tags) operations are grouped in, and the credentials (security schemes) they accept.
 * The routes add themselves (src/routes/endpoint.ts); /docs renders the same document.
 */

/** One tag per area of the API, in the order /docs shows them. Every operation names one of these. */
export const apiTags = [
  { name: "service", description: "Liveness and this document: no credential, not rate limited." },
  {
    name: "auth",
    description:
      "Registration, sign-in (password, second factor, passkey, OAuth), sessions' tokens and cookies, " +
      "password reset and email verification.",
  },
  {
    name: "account",
    description: "The signed-in user: profile, sign-in identities, sessions, audit log, export and deletion.",
  },
  { name: "two-factor", description: "TOTP second factor: enrolment, confirmation and removal." },
  { name: "passkeys", description: "WebAuthn passkeys of the signed-in user." },
  { name: "api-keys", description: "API keys for programs: created, listed, rolled and revoked with a session only." },
  { name: "images", description: "Image generation, metadata, content, soft delete and restore, and comments." },
  { name: "collections", description: "Collections of images, personal or a team's." },
  { name: "teams", description: "Teams, their members and roles, invitations and the team audit log." },
  { name: "billing", description: "Licences bought through Stripe." },
  { name: "webhooks", description: "Signed callbacks from Stripe (not for API clients)." },
  { name: "operator", description: "Incident response by the operator, with the ADMIN_TOKEN bearer." },
  { name: "development", description: "Exists only when ENVIRONMENT=development (404 elsewhere)." },
] as const;

export type ApiTag = (typeof apiTags)[number]["name"];

/** The security schemes an operation may name (src/routes/endpoint.ts picks them by access policy). */
export const securitySchemes = {
  bearerAuth: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "A session JWT (HS256, 7 days) from a sign-in; a fresh one may come back in `X-Refreshed-Token`.",
  },
  sessionCookie: {
    type: "apiKey",
    in: "cookie",
    name: "__Host-imagebot_session",
    description:
      'The browser session cookie (a sign-in with `session: "cookie"`). `Authorization` wins when both are sent.',
  },
  csrfToken: {
    type: "apiKey",
    in: "header",
    name: "X-CSRF-Token",
    description:
      "With the session cookie, every state-changing request also sends this token (from the sign-in or " +
      "GET /v1/auth/csrf) and this site's `Origin` (else 403 `csrf_failed`).",
  },
  apiKey: {
    type: "http",
    scheme: "bearer",
    bearerFormat: "imgbot_live_<64 hex>",
    description:
      "An API key, on the routes that take one, limited to its scopes (`read`, `generate`, `manage`; the " +
      "scope an operation needs is listed in its security requirement). Never in a query string.",
  },
  operatorToken: {
    type: "http",
    scheme: "bearer",
    description: "The operator's ADMIN_TOKEN (incident response routes only).",
  },
} as const;

/** Where the API is served: wrangler.toml's APP_URL of each environment, and `npm start`. */
export const apiServers = [
  { url: "https://imagebot.app", description: "Production" },
  { url: "https://staging.imagebot.app", description: "Staging" },
  { url: "http://127.0.0.1:8787", description: "Local development (`npm start`)" },
];

export const documentConfig = {
  openapi: "3.1.0",
  info: {
    title: "ImageBot Edge",
    version: "1.0.0",
    description:
      "The security edge of ImageBot. JSON in and out; errors are RFC 9457 problem details " +
      "(`application/problem+json`) with a stable `code` and a `requestId`. The reference is served at /docs.",
    // package.json is `private` with no licence: the API is proprietary. An SPDX `LicenseRef-` names it.
    license: { name: "Proprietary (UNLICENSED)", identifier: "LicenseRef-ImageBot-Proprietary" },
  },
  servers: apiServers,
  tags: apiTags.map((tag) => ({ ...tag })),
};

export function registerSecuritySchemes(app: OpenAPIHono<AppEnv>) {
  for (const [name, scheme] of Object.entries(securitySchemes)) {
    app.openAPIRegistry.registerComponent("securitySchemes", name, { ...scheme });
  }
}

/** The served document; built once per app (the registry is complete once every route is mounted). */
const documents = new WeakMap<OpenAPIHono<AppEnv>, ReturnType<OpenAPIHono<AppEnv>["getOpenAPI31Document"]>>();

export function openApiDocumentOf(app: OpenAPIHono<AppEnv>) {
  let document = documents.get(app);
  if (!document) {
    document = app.getOpenAPI31Document(documentConfig);
    documents.set(app, document);
  }
  return document;
}

/**
 * An operation's security requirements, from its access policy (src/auth/access.ts): any one of
 * them admits. A cookie session's state-changing request also needs the CSRF token; an API key
 * needs the route's scope (OpenAPI 3.1 lets a non-OAuth requirement name the role it needs).
 */
export function securityRequirementsOf(access: AccessPolicy, method: string): Record<string, string[]>[] {
  const cookie: Record<string, string[]> = ["get", "head", "options"].includes(method)
    ? { sessionCookie: [] }
    : { sessionCookie: [], csrfToken: [] };
  switch (access.auth) {
    case "public":
    case "development":
      return [];
    case "operator":
      return [{ operatorToken: [] }];
    case "session":
      return [{ bearerAuth: [] }, cookie];
    case "session_or_key":
      return [{ bearerAuth: [] }, cookie, { apiKey: [access.scope] }];
  }
}
