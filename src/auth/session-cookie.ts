import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { TOKEN_LIFETIME_SECONDS } from "../crypto/jwt";
import type { AppEnv } from "../env";
import type { SessionPrincipal } from "./principal";

/**
 * The browser session cookie (API.md "Browser sessions"): `__Host-imagebot_session`. The
 * `__Host-` prefix makes the browser insist on Secure, Path=/ and no Domain, so no subdomain can
 * set or shadow it (RFC 6265bis §4.1.3.2); HttpOnly keeps it from script, SameSite=Strict from
 * cross-site requests. Browsers treat http://127.0.0.1 and http://localhost as secure contexts,
 * so the same cookie works locally.
 */
const COOKIE_NAME = "imagebot_session";
const MAX_COOKIE_CHARS = 8 * 1024;

/** The session token the cookie carries, if any (an absurdly long one counts as none of ours). */
export function sessionCookieOf(c: Context<AppEnv>): string | undefined {
  const value = getCookie(c, COOKIE_NAME, "host");
  return value && value.length <= MAX_COOKIE_CHARS ? value : undefined;
}

export function setSessionCookie(c: Context<AppEnv>, token: string) {
  setCookie(c, COOKIE_NAME, token, {
    prefix: "host",
    httpOnly: true,
    secure: true,
    sameSite: "Strict",
    path: "/",
    maxAge: TOKEN_LIFETIME_SECONDS,
  });
}

/** Ends the cookie in the browser (`Max-Age=0`) when the request's session came from it. */
export function clearSessionCookieOf(c: Context<AppEnv>, principal: SessionPrincipal) {
  if (principal.via !== "cookie") return;
  deleteCookie(c, COOKIE_NAME, { prefix: "host", httpOnly: true, secure: true, sameSite: "Strict", path: "/" });
}
