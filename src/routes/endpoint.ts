import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { AccessPolicy } from "../auth/access";
import type { AppEnv } from "../env";
import { jsonBodyLimits, noBodyFields } from "../middleware/body-limits";
import { pipeline } from "../middleware/pipeline";

/** One endpoint: its route schema, its access policy and its handler, declared together. */
export interface Endpoint<R extends RouteConfig = RouteConfig> {
  route: R;
  access: AccessPolicy;
  handler: RouteHandler<R, AppEnv>;
  /** The handler reads the raw body itself (a signed webhook): no schema, and no field check. */
  rawBody?: true;
}

export function defineEndpoint<R extends RouteConfig>(endpoint: Endpoint<R>): Endpoint<R> {
  return endpoint;
}

/** Policies by `METHOD /path` (Hono path syntax), so tests can prove no route lacks one. */
export const accessPolicies = new Map<string, AccessPolicy>();

export function policyKey(method: string, honoPath: string) {
  return `${method.toUpperCase()} ${honoPath}`;
}

/**
 * Mounts an endpoint with its policy enforced before validation runs, so an anonymous caller
 * learns nothing about a route's schema from its errors.
 */
export function mountEndpoint(app: OpenAPIHono<AppEnv>, endpoint: Endpoint) {
  const honoPath = endpoint.route.path.replaceAll(/\/{(.+?)}/g, "/:$1");
  accessPolicies.set(policyKey(endpoint.route.method, honoPath), endpoint.access);
  const authenticated = ["session", "session_or_key", "operator"].includes(endpoint.access.auth);
  const security = authenticated ? [{ bearerAuth: [] }] : [];
  // The body checks come after the access policy, so an oversized or non-JSON body from an
  // anonymous client is still counted against its IP.
  const bodyChecks =
    endpoint.route.request?.body || endpoint.rawBody ? [jsonBodyLimits()] : [jsonBodyLimits(), noBodyFields()];
  app.openapi(
    { ...endpoint.route, security, middleware: [pipeline(endpoint.access), ...bodyChecks] },
    endpoint.handler,
  );
}
