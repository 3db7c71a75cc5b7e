import type { Context } from "hono";
import { withIpGuard } from "../durable-objects/guard-client";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";

export interface RateLimitState {
  limit: number;
  remaining: number;
  resetSeconds: number;
}

/** The RateLimit-* fields (IETF draft "RateLimit header fields for HTTP") on the response. */
export function setRateLimitHeaders(c: Context<AppEnv>, state: RateLimitState) {
  c.header("RateLimit-Limit", String(state.limit));
  c.header("RateLimit-Remaining", String(state.remaining));
  c.header("RateLimit-Reset", String(state.resetSeconds));
}

export function rateLimited(limit: number, retryAfterSeconds: number): ApiError {
  return new ApiError("rate_limited", {
    headers: {
      "Retry-After": String(retryAfterSeconds),
      "RateLimit-Limit": String(limit),
      "RateLimit-Remaining": "0",
      "RateLimit-Reset": String(retryAfterSeconds),
    },
  });
}

export const ipBlocked = () => new ApiError("ip_blocked");

/**
 * Counts a request without a valid credential against its client IP (1000 in any rolling hour)
 * and refuses it if the IP is blocked or over budget. Every such request passes here once:
 * public routes, failed authentications, unknown paths.
 */
export async function admitUnauthenticatedRequest(c: Context<AppEnv>): Promise<void> {
  const admission = await withIpGuard(c.env, c.get("clientIp"), (guard) => guard.admitUnauthenticated());
  if (!admission.admitted) {
    if ("blocked" in admission) throw ipBlocked();
    throw rateLimited(admission.limit, admission.retryAfterSeconds);
  }
  setRateLimitHeaders(c, admission);
}
