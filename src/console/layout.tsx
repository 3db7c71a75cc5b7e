import type { Child } from "hono/jsx";
import { PASSKEYS_SCRIPT_PATH } from "./passkeys-script";
import { CONSOLE_ROOT } from "./paths";
import { consoleStyles } from "./styles";

export const SCRIPT_PATH = `${CONSOLE_ROOT}/assets/console.js`;

/** What every page is rendered with. */
export interface PageProps {
  /** This response's CSP nonce: only the style and script carrying it run. */
  nonce: string;
  /** The request's path, to mark the current nav link. */
  path: string;
}

const navLinks: [label: string, href: string][] = [
  ["Account", CONSOLE_ROOT],
  ["Password", `${CONSOLE_ROOT}/password`],
  ["Two-factor", `${CONSOLE_ROOT}/two-factor`],
  ["Passkeys", `${CONSOLE_ROOT}/passkeys`],
  ["Sign-in methods", `${CONSOLE_ROOT}/sign-in-methods`],
  ["Sessions", `${CONSOLE_ROOT}/sessions`],
  ["API keys", `${CONSOLE_ROOT}/api-keys`],
  ["Audit log", `${CONSOLE_ROOT}/audit-log`],
  ["Teams", `${CONSOLE_ROOT}/teams`],
];

function AccountNav({ path }: { path: string }) {
  const isCurrent = (href: string) =>
    href === CONSOLE_ROOT ? path === CONSOLE_ROOT : path === href || path.startsWith(`${href}/`);
  return (
    <nav aria-label="Account">
      <ul>
        {navLinks.map(([label, href]) => (
          <li>
            <a href={href} aria-current={isCurrent(href) ? "page" : undefined}>
              {label}
            </a>
          </li>
        ))}
        <li>
          <button type="button" id="sign-out">
            Sign out
          </button>
        </li>
      </ul>
    </nav>
  );
}

/**
 * The page frame. `page` names the function of the browser script that runs the page;
 * `signedIn` pages show the account nav and send the browser to sign-in on a 401.
 */
export function Layout(props: PageProps & { title: string; page: string; signedIn: boolean; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        {/* No favicon request (a 404 in the browser's console on every page). */}
        <link rel="icon" href="data:," />
        <title>{`${props.title} · ImageBot account`}</title>
        {/* A constant of this module, never data: written as is, so CSS quotes survive (a <style> decodes no entities). */}
        <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: consoleStyles }} />
        <script nonce={props.nonce} src={SCRIPT_PATH} defer />
        {/* Passkeys (issue 17): the passkeys page and the sign-in page's passkey button. */}
        <script nonce={props.nonce} src={PASSKEYS_SCRIPT_PATH} defer />
      </head>
      <body data-page={props.page} data-session={props.signedIn ? "required" : "none"}>
        <a class="skip" href="#page-heading">
          Skip to the page
        </a>
        <header>
          <p class="brand">ImageBot account</p>
          {props.signedIn ? <AccountNav path={props.path} /> : null}
        </header>
        <main>
          <h1 id="page-heading" tabindex={-1}>
            {props.title}
          </h1>
          <div id="error" class="notice" role="alert" />
          <div id="message" class="notice" role="status" />
          {props.children}
        </main>
      </body>
    </html>
  );
}
