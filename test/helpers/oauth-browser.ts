import { expect } from "vitest";
import { randomIp } from "./api";
import { fetchWithEnv } from "./custom-env";
import { PROVIDER_SETTINGS } from "./fake-providers";

/** A browser: its address and cookie jar (name → value), as the Worker's Set-Cookie left it. */
export interface Browser {
  ip: string;
  cookies: Map<string, string>;
}

export const newBrowser = (ip = randomIp()): Browser => ({ ip, cookies: new Map() });

/**
 * A request from `browser` to the Worker configured with every provider (or `settings`), with
 * its cookies, storing the cookies the answer sets. Origin is the service's own, as a page's.
 */
export async function browse(
  browser: Browser,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; settings?: Record<string, unknown>; body?: unknown } = {},
): Promise<Response> {
  const headers = new Headers(options.headers);
  headers.set("CF-Connecting-IP", browser.ip);
  if (browser.cookies.size > 0) {
    headers.set("Cookie", [...browser.cookies].map(([name, value]) => `${name}=${value}`).join("; "));
  }
  if (method !== "GET" && !headers.has("Origin")) headers.set("Origin", "https://edge.test");
  const body = options.body === undefined ? undefined : JSON.stringify(options.body);
  if (body !== undefined) headers.set("Content-Type", "application/json");
  const response = await fetchWithEnv(
    options.settings ?? PROVIDER_SETTINGS,
    new Request(`https://edge.test${path}`, { method, headers, body }),
  );
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const [name, ...value] = (pair ?? "").split("=");
    if (!name) continue;
    if (/max-age=0/i.test(line)) browser.cookies.delete(name);
    else browser.cookies.set(name, value.join("="));
  }
  return response;
}

/** The Set-Cookie line of `name` in a response. */
export function setCookieLine(response: Response, name: string): string | undefined {
  return response.headers.getSetCookie().find((line) => line.startsWith(`${name}=`));
}

/** Starts a flow in `browser`; returns the provider's authorization URL. */
export async function startSignIn(browser: Browser, provider: string, returnTo?: string): Promise<URL> {
  const query = returnTo === undefined ? "" : `?returnTo=${encodeURIComponent(returnTo)}`;
  const response = await browse(browser, "GET", `/v1/auth/oauth/${provider}/start${query}`);
  expect(response.status).toBe(302);
  return new URL(response.headers.get("Location") ?? "");
}

/** The browser comes back from the provider with `code` and the URL's `state`. */
export function returnFromProvider(
  browser: Browser,
  provider: string,
  authorizationUrl: URL,
  code: string,
  moreQuery = "",
) {
  const state = authorizationUrl.searchParams.get("state") ?? "";
  return browse(
    browser,
    "GET",
    `/v1/auth/oauth/${provider}/callback?code=${encodeURIComponent(code)}&state=${encodeURIComponent(state)}${moreQuery}`,
  );
}

/** Where a redirect goes, as a path with its query (and fragment). */
export const locationOf = (response: Response) => response.headers.get("Location") ?? "";

/** The session's CSRF token (the console asks for it after a page load). */
export async function csrfTokenOf(browser: Browser): Promise<string> {
  const response = await browse(browser, "GET", "/v1/auth/csrf");
  expect(response.status).toBe(200);
  return ((await response.json()) as { csrfToken: string }).csrfToken;
}

/** A state-changing request of a console page: the cookie, the CSRF token and our Origin. */
export async function consoleAction(browser: Browser, method: string, path: string, body?: unknown) {
  return browse(browser, method, path, { headers: { "X-CSRF-Token": await csrfTokenOf(browser) }, body });
}

/** Signs `browser` in with a password, as the console's sign-in page does. */
export async function passwordSignIn(browser: Browser, email: string, password: string) {
  const response = await browse(browser, "POST", "/v1/auth/login", { body: { email, password, session: "cookie" } });
  expect(response.status).toBe(200);
}
