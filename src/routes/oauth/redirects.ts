import type { ProviderFailureCode } from "../../services/oauth/provider";

export const SIGN_IN_PAGE = "/console/sign-in";

/**
 * Where a failed flow sends the browser: the console's sign-in page with the failure's code, or
 * (a link started from the console) back to that page. Only our own console paths, never a URL
 * taken from the request.
 */
export function failureRedirect(code: ProviderFailureCode, page = SIGN_IN_PAGE): string {
  const url = new URL(page, "https://console.invalid");
  url.searchParams.set("error", code);
  return `${url.pathname}${url.search}`;
}

/**
 * The console's second-factor step after a provider sign-in of an account with 2FA on. The
 * single-use, 5-minute mfaToken travels in the URL fragment: browsers never send a fragment to
 * any server, so it stays out of access logs, proxies and `Referer` headers, and the page's
 * script reads it and posts it to /v1/auth/login/mfa with `session: "cookie"`.
 */
export function secondFactorRedirect(mfaToken: string, returnTo: string): string {
  const fragment = new URLSearchParams({ mfaToken, returnTo });
  return `${SIGN_IN_PAGE}#${fragment.toString()}`;
}
