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
