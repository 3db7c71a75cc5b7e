import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { AccessPolicy } from "../auth/access";
import type { AppEnv } from "../env";
import { jsonBodyLimits, noBodyFields } from "../middleware/body-limits";
import { pipeline } from "../middleware/pipeline";
import { securityRequirementsOf } from "../openapi/document";
import { documentedResponses } from "../openapi/error-responses";

/**
 * A route as declared: its `operationId` (a stable camelCase name, e.g. `createApiKey`, which
 * client generators turn into method names: never rename one) is required.
 */
export type DeclaredRoute = RouteConfig & { operationId: string };

/** One endpoint: its route schema, its access policy and its handler, declared together. */
export interface Endpoint<R extends DeclaredRoute = DeclaredRoute> {
  route: R;
  access: AccessPolicy;
  handler: RouteHandler<R, AppEnv>;
  /** The handler reads the raw body itself (a signed webhook): no schema, and no field check. */
  rawBody?: true;
}

export function defineEndpoint<R extends DeclaredRoute>(endpoint: Endpoint<R>): Endpoint<R> {
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
  // The document says what the pipeline enforces: the credentials the policy accepts, and every
  // error the pipeline and body checks can answer besides the handler's own.
  const security = securityRequirementsOf(endpoint.access, endpoint.route.method);
  const responses = documentedResponses(endpoint.access, endpoint.route, Boolean(endpoint.rawBody));
  // The body checks come after the access policy, so an oversized or non-JSON body from an
  // anonymous client is still counted against its IP.
  const bodyChecks =
    endpoint.route.request?.body || endpoint.rawBody ? [jsonBodyLimits()] : [jsonBodyLimits(), noBodyFields()];
  app.openapi(
    { ...endpoint.route, security, responses, middleware: [pipeline(endpoint.access), ...bodyChecks] },
    endpoint.handler,
  );
}
