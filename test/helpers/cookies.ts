import { expect } from "vitest";
import { api, type RegisteredUser } from "./api";

/** The origin `api()` sends requests to: a page of this service. */
export const OWN_ORIGIN = "https://edge.test";
export const FOREIGN_ORIGIN = "https://evil.example";
export const COOKIE_NAME = "__Host-imagebot_session";

export interface CookieSession {
  /** The `Cookie` request header a browser would send. */
  cookie: string;
  csrfToken: string;
  /** The raw Set-Cookie header of the sign-in. */
  setCookie: string;
  body: Record<string, unknown>;
}

/** The session cookie's value in a Set-Cookie header (empty when it clears the cookie). */
export function sessionCookieValue(setCookie: string | null): string | undefined {
  const match = setCookie ? new RegExp(`(?:^|, )${COOKIE_NAME}=([^;]*)`).exec(setCookie) : null;
  return match?.[1];
}

/** Signs `user` in through a console page (own Origin) with `session: "cookie"`. */
export async function cookieSignIn(user: RegisteredUser, ip?: string): Promise<CookieSession> {
  const response = await api("POST", "/v1/auth/login", {
    body: { email: user.email, password: user.password, session: "cookie" },
    headers: { Origin: OWN_ORIGIN },
    ip,
  });
  expect(response.status).toBe(200);
  const setCookie = response.headers.get("Set-Cookie") ?? "";
  const body = (await response.json()) as Record<string, unknown>;
  return {
    cookie: `${COOKIE_NAME}=${sessionCookieValue(setCookie)}`,
    csrfToken: body.csrfToken as string,
    setCookie,
    body,
  };
}

/** Headers of a browser request made with the cookie; `csrf`/`origin` undefined leaves them out. */
export function cookieHeaders(session: CookieSession, options: { csrf?: string | null; origin?: string | null } = {}) {
  const headers: Record<string, string> = { Cookie: session.cookie };
  const csrf = options.csrf === undefined ? session.csrfToken : options.csrf;
  const origin = options.origin === undefined ? OWN_ORIGIN : options.origin;
  if (csrf !== null) headers["X-CSRF-Token"] = csrf;
  if (origin !== null) headers.Origin = origin;
  return headers;
}
