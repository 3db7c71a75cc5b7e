import type { OpenAPIHono, RouteConfig, RouteHandler } from "@hono/zod-openapi";
import type { AppEnv } from "../env";
import { authenticate } from "../middleware/authenticate";
import { jsonBodyLimits } from "../middleware/body-limits";
import type { AccessPolicy } from "./access";

/** One endpoint: its route schema, its access policy and its handler, declared together. */
export interface Endpoint<R extends RouteConfig = RouteConfig> {
  route: R;
  access: AccessPolicy;
  handler: RouteHandler<R, AppEnv>;
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
  app.openapi(
    { ...endpoint.route, security, middleware: [authenticate(endpoint.access), jsonBodyLimits()] },
    endpoint.handler,
  );
}
