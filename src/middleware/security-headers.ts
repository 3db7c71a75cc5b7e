import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

/** The security headers of API.md on every response, errors and 404s included. */
export function securityHeaders(): MiddlewareHandler {
  const headers = secureHeaders({
    strictTransportSecurity: "max-age=31536000; includeSubDomains; preload",
    xFrameOptions: "DENY",
    xContentTypeOptions: "nosniff",
    referrerPolicy: "strict-origin-when-cross-origin",
    permissionsPolicy: { geolocation: [], microphone: [], camera: [] },
    // A JSON API renders nothing: forbid every fetch, frame and script a browser might attempt.
    contentSecurityPolicy: {
      defaultSrc: ["'none'"],
      frameAncestors: ["'none'"],
      baseUri: ["'none'"],
      formAction: ["'none'"],
    },
    crossOriginResourcePolicy: "same-origin",
    crossOriginOpenerPolicy: "same-origin",
  });
  return async function securityHeaders(c, next) {
    await headers(c, next);
    // Responses carry credentials or user data; no shared or browser cache may keep them.
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  };
}
