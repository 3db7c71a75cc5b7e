import type { Context } from "hono";
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
