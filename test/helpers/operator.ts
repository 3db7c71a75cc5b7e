import { env } from "cloudflare:workers";
import { type ApiRequest, api } from "./api";

/** A request with the operator's bearer token (ADMIN_TOKEN of this test run). */
export function asOperator(method: string, path: string, options: Omit<ApiRequest, "token"> = {}) {
  return api(method, path, { ...options, token: env.ADMIN_TOKEN });
}
