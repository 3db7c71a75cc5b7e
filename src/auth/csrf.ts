import type { Context } from "hono";
import { isCsrfTokenOf } from "../crypto/csrf";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import type { SessionPrincipal } from "./principal";
import { signingKeys } from "./signing-keys";

/** Methods that never change state (RFC 9110 §9.2.1): the only ones a cookie alone may make. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
export const CSRF_HEADER = "X-CSRF-Token";

const csrfFailed = (detail: string) => new ApiError("csrf_failed", { detail });

/**
 * Whether the request's `Origin` is one a cookie session may act from: this service's own (the
 * origin the request was sent to, or APP_URL's) or one in ALLOWED_ORIGINS. A missing Origin
 * fails: every browser sends one with a state-changing request, and only browsers hold cookies.
 */
export function isTrustedOrigin(c: Context<AppEnv>): boolean {
  const origin = c.req.header("Origin");
  if (!origin || origin === "null") return false;
  const config = c.get("config");
  return (
    origin === new URL(c.req.url).origin ||
    origin === new URL(config.APP_URL).origin ||
    config.ALLOWED_ORIGINS.includes(origin)
  );
}

/**
 * API.md "Browser sessions": a cookie-authenticated request that may change state needs both a
 * trusted `Origin` and the session's CSRF token in `X-CSRF-Token` (OWASP CSRF cheat sheet:
 * origin verification plus a synchronizer token). Requests with a bearer token need neither: a
 * browser never attaches one on its own.
 */
export async function requireCsrfProof(c: Context<AppEnv>, principal: SessionPrincipal): Promise<void> {
  if (principal.via !== "cookie" || SAFE_METHODS.has(c.req.method)) return;
  if (!isTrustedOrigin(c)) throw csrfFailed("This request comes from an origin that may not use the session cookie.");
  const presented = c.req.header(CSRF_HEADER);
  if (!presented || presented.length > 256 || !(await isCsrfTokenOf(presented, principal.sessionId, signingKeys(c)))) {
    throw csrfFailed(`A request made with the session cookie needs the session's ${CSRF_HEADER} header.`);
  }
}
