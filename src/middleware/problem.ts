import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env";
import { ApiError, problemBody } from "../errors";

/** Maps anything thrown to the error table; unknown failures become a bare 500. */
function toApiError(error: unknown, requestId: string): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof HTTPException) {
    // Hono's own validators throw these, e.g. for a body that is not JSON at all.
    if (error.status === 400) return new ApiError("validation_failed", { detail: "The body is not valid JSON." });
    if (error.status === 413) return new ApiError("payload_too_large");
  }
  // The cause is logged by name only: messages can carry SQL, tokens or user data.
  const name = error instanceof Error ? error.name : typeof error;
  console.error(`internal_error ${requestId}: ${name}`);
  return new ApiError("internal_error");
}

export function problemResponse(c: Context<AppEnv>, error: ApiError): Response {
  const requestId = c.get("requestId");
  return c.body(JSON.stringify(problemBody(error, requestId)), error.status, {
    ...error.headers,
    "Content-Type": "application/problem+json",
  });
}

export const handleError: ErrorHandler<AppEnv> = (error, c) =>
  problemResponse(c, toApiError(error, c.get("requestId")));
