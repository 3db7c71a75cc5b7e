import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import type { FC } from "hono/jsx";
import { publicAccess } from "../auth/access";
import type { AppEnv } from "../env";
import { pipeline } from "../middleware/pipeline";
import { accessPolicies, policyKey } from "../routes/endpoint";
import { type PageProps, SCRIPT_PATH } from "./layout";
import { AcceptInvitationPage } from "./pages/accept-invitation";
import { AccountPage } from "./pages/account";
import { ApiKeysPage } from "./pages/api-keys";
import { AuditLogPage } from "./pages/audit-log";
import { ForgotPasswordPage } from "./pages/forgot-password";
import { PasskeysPage } from "./pages/passkeys";
import { PasswordPage } from "./pages/password";
import { RegisterPage } from "./pages/register";
import { ResetPasswordPage } from "./pages/reset-password";
import { SessionsPage } from "./pages/sessions";
import { SignInPage } from "./pages/sign-in";
import { SignInMethodsPage } from "./pages/sign-in-methods";
import { TeamPage } from "./pages/team";
import { TeamsPage } from "./pages/teams";
import { TwoFactorPage } from "./pages/two-factor";
import { VerifyEmailPage } from "./pages/verify-email";
import { PASSKEYS_SCRIPT_PATH, passkeysScript } from "./passkeys-script";
import { CONSOLE_ROOT } from "./paths";
import { consoleScript } from "./script";

/** Every console page by its Hono path. None reads a credential: the data comes from /v1 in the browser. */
export const consolePages: Record<string, FC<PageProps>> = {
  [CONSOLE_ROOT]: AccountPage,
  [`${CONSOLE_ROOT}/sign-in`]: SignInPage,
  [`${CONSOLE_ROOT}/register`]: RegisterPage,
  [`${CONSOLE_ROOT}/verify-email`]: VerifyEmailPage,
  [`${CONSOLE_ROOT}/forgot-password`]: ForgotPasswordPage,
  [`${CONSOLE_ROOT}/reset-password`]: ResetPasswordPage,
  [`${CONSOLE_ROOT}/password`]: PasswordPage,
  [`${CONSOLE_ROOT}/two-factor`]: TwoFactorPage,
  [`${CONSOLE_ROOT}/sign-in-methods`]: SignInMethodsPage,
  [`${CONSOLE_ROOT}/passkeys`]: PasskeysPage,
  [`${CONSOLE_ROOT}/sessions`]: SessionsPage,
  [`${CONSOLE_ROOT}/api-keys`]: ApiKeysPage,
  [`${CONSOLE_ROOT}/audit-log`]: AuditLogPage,
  [`${CONSOLE_ROOT}/teams`]: TeamsPage,
  [`${CONSOLE_ROOT}/teams/:id`]: TeamPage,
  [`${CONSOLE_ROOT}/accept-invitation`]: AcceptInvitationPage,
};

function nonceOf(c: Context<AppEnv>): string {
  // Set by the console's CSP (middleware/security-headers.ts) before the handler runs.
  const nonce = c.get("secureHeadersNonce");
  if (!nonce) throw new Error("console page rendered without a CSP nonce");
  return nonce;
}

/**
 * Mounts the console: GET-only pages and the one script, each with the public access policy
 * (admitted and counted against the client IP like any anonymous request). They are not API
 * endpoints, so they stay out of /openapi.json; `accessPolicies` still lists them.
 */
export function mountConsole(app: OpenAPIHono<AppEnv>) {
  for (const [path, Page] of Object.entries(consolePages)) {
    accessPolicies.set(policyKey("GET", path), publicAccess);
    app.get(path, pipeline(publicAccess), (c) =>
      c.html(`<!doctype html>${<Page nonce={nonceOf(c)} path={c.req.path} />}`),
    );
  }
  accessPolicies.set(policyKey("GET", SCRIPT_PATH), publicAccess);
  app.get(SCRIPT_PATH, pipeline(publicAccess), (c) =>
    c.body(consoleScript, 200, { "Content-Type": "text/javascript; charset=utf-8" }),
  );
  accessPolicies.set(policyKey("GET", PASSKEYS_SCRIPT_PATH), publicAccess);
  app.get(PASSKEYS_SCRIPT_PATH, pipeline(publicAccess), (c) =>
    c.body(passkeysScript, 200, { "Content-Type": "text/javascript; charset=utf-8" }),
  );
}
