import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { ApiError } from "../errors";

export const MAX_BODY_BYTES = 64 * 1024;

function hasBody(request: Request): boolean {
  const length = request.headers.get("Content-Length");
  if (length !== null) return length !== "0";
  return request.body !== null;
}

/** JSON-only bodies (415) of at most 64 KiB (413), checked before any handler reads them. */
export function jsonBodyLimits(): MiddlewareHandler {
  const limit = bodyLimit({
    maxSize: MAX_BODY_BYTES,
    onError: () => {
      throw new ApiError("payload_too_large");
    },
  });
  return async function jsonBodyLimits(c, next) {
    if (!hasBody(c.req.raw)) return next();
    const mediaType = c.req.header("Content-Type")?.split(";")[0]?.trim().toLowerCase();
    if (mediaType !== "application/json") throw new ApiError("unsupported_media_type");
    return limit(c, next);
  };
}

/**
 * For routes that take no body: none, or `{}`, is accepted; any field is an unknown field, refused
 * like on every other route (API.md "unknown fields are rejected"), so a client's mistake such as
 * `{"graceSeconds": 60}` on the wrong route is never silently ignored.
 */
export function noBodyFields(): MiddlewareHandler {
  return async function noBodyFields(c, next) {
    if (!hasBody(c.req.raw)) return next();
    const text = await c.req.text();
    if (text.trim() === "") return next();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ApiError("validation_failed", { detail: "The body is not valid JSON." });
    }
    if (body === null || typeof body !== "object" || Array.isArray(body)) {
      throw new ApiError("validation_failed", { detail: "This route takes no body, or an empty JSON object." });
    }
    const fields = Object.keys(body);
    if (fields.length > 0) {
      throw new ApiError("validation_failed", {
        errors: fields.slice(0, 20).map((field) => ({ path: field, message: "is not a known field" })),
      });
    }
    return next();
  };
}
