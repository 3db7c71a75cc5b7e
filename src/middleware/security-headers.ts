import type { MiddlewareHandler } from "hono";
import { NONCE, secureHeaders } from "hono/secure-headers";

type SecureHeadersOptions = NonNullable<Parameters<typeof secureHeaders>[0]>;

import { isPagePath } from "../console/paths";

const commonHeaders: SecureHeadersOptions = {
  strictTransportSecurity: "max-age=31536000; includeSubDomains; preload",
  xFrameOptions: "DENY",
  xContentTypeOptions: "nosniff",
  referrerPolicy: "strict-origin-when-cross-origin",
  permissionsPolicy: { geolocation: [], microphone: [], camera: [] },
  crossOriginResourcePolicy: "same-origin",
  crossOriginOpenerPolicy: "same-origin",
};

// A JSON API renders nothing: forbid every fetch, frame and script a browser might attempt.
const apiHeaders = secureHeaders({
  ...commonHeaders,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
  },
});

// The console's pages and /docs: only the script and style that carry this response's nonce (pages read it
// with `c.get("secureHeadersNonce")`), images from the origin or data: URIs (the 2FA QR code),
// fetches to the origin's own API, and nothing from any third party.
const consoleHeaders = secureHeaders({
  ...commonHeaders,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: [NONCE],
    styleSrc: [NONCE],
    imgSrc: ["'self'", "data:"],
    connectSrc: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
  },
});

/** The security headers of API.md on every response, errors and 404s included. */
export function securityHeaders(): MiddlewareHandler {
  return async function securityHeaders(c, next) {
    await (isPagePath(c.req.path) ? consoleHeaders : apiHeaders)(c, next);
    // Responses carry credentials or user data; no shared or browser cache may keep them.
    if (!c.res.headers.has("Cache-Control")) c.res.headers.set("Cache-Control", "no-store");
  };
}
