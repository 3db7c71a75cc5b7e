// The account console (`/console`, API.md "Browser sessions (cookies) and the account console")
// driven in chromium as its users drive it: the journeys of issue 16. Every page a test opens must
// carry its CSP and report no console or page error (test/e2e/browser.mjs fails the test if not).
// Page ids and labels: src/console/README.md.
import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { startBrowser } from "./browser.mjs";
import { call, register } from "./client.mjs";
import { startServer } from "./server.mjs";

const server = await startServer();
const { browserTest } = await startBrowser(server);
const IP = "198.51.100.71";
const XSS = `<img src=x onerror="window.__pwned=1">`;

/** The code an authenticator app shows for `secret` at `timestamp` (RFC 6238: SHA-1, 6 digits, 30 s). */
const totp = (secret, timestamp = Date.now()) =>
  OTPAuth.TOTP.generate({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: 30,
    timestamp,
  });

/** Waits out the end of a 30 s step, so a test's codes (this step's, then the next one's) stay valid. */
async function awayFromStepBoundary(marginMs = 8_000) {
  const left = 30_000 - (Date.now() % 30_000);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}

/** The link in the newest mail to `email` whose subject matches, as the mail gives it. */
async function mailedLink(email, subject) {
  const outbox = await call(server.base, "GET", `/dev/outbox?to=${encodeURIComponent(email)}`, { ip: IP });
  const mail = outbox.body.data.find((entry) => subject.test(entry.subject));
  const link = mail && /https?:\/\/\S+[?&]token=[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
  assert.ok(link, `no "${subject}" mail with a link to ${email}`);
  return link;
}

/**
 * A verified account made through the API, its bearer session logged out again: the browser's
 * sessions are then the account's only ones.
 */
async function newUser() {
  const user = await register(server.base, IP);
  const logout = await call(server.base, "POST", "/v1/auth/logout", { ip: IP, token: user.token });
  assert.equal(logout.status, 204);
  return user;
}

/**
 * Opens `path` and waits until the page's script has loaded its data (the network is quiet):
 * a field filled before then would be overwritten by the data when it arrives.
 */
async function open(page, path) {
  await page.goto(path);
  await page.waitForLoadState("networkidle");
}

/** The sign-in page's first step (email, password); the caller finishes a 2FA step if asked. */
async function enterPassword(page, user) {
  await open(page, "/console/sign-in");
  await page.getByLabel("Email", { exact: true }).fill(user.email);
  await page.getByLabel("Password", { exact: true }).fill(user.password);
  await page.locator("#sign-in").click();
}

/** Signs `page` in through the sign-in page and waits for the account page. */
async function signIn(page, user) {
  await enterPassword(page, user);
  await page.waitForURL("**/console");
  await page.waitForLoadState("networkidle");
}

async function signOut(page) {
  await page.locator("#sign-out").click();
  await page.waitForURL("**/console/sign-in**");
}

browserTest(
  "register, verify the email through /dev/outbox, sign out and sign in with the keyboard alone",
  async (run) => {
    const page = await run.newPage();
    const user = { email: `console.${Date.now()}@example.com`, password: "a console passphrase, long enough" };
    await open(page, "/console/register");
    await page.getByLabel("Name", { exact: true }).fill("Console User");
    await page.getByLabel("Email", { exact: true }).fill(user.email);
    await page.getByLabel("Password", { exact: true }).fill(user.password);
    await page.locator("#register").click();
    await page.waitForURL("**/console");
    await assertText(page, "#email-status", /not verified/);

    const link = await mailedLink(user.email, /verify your/i);
    assert.ok(link.startsWith(`${server.base}/console/verify-email?`), `the mail links to the console: ${link}`);
    await page.goto(link);
    await assertText(page, "#message", /Your email address is verified\./);
    await open(page, "/console");
    await assertText(page, "#email-status", /^\s*verified/);
    await signOut(page);

    // Keyboard only: Tab to the first field, type, Tab on, Enter submits.
    await open(page, "/console/sign-in");
    await tabTo(page, "email");
    await page.keyboard.type(user.email);
    await page.keyboard.press("Tab");
    assert.equal(await focusedId(page), "password", "the password field comes next in the focus order");
    await page.keyboard.type(user.password);
    await page.keyboard.press("Enter");
    await page.waitForURL("**/console");
    await assertText(page, "#account-email", new RegExp(user.email.replace(/\./g, "\\.")));
  },
);

browserTest(
  "2FA: turned on from the secret the page shows, then sign-in with a code, then with a backup code",
  async (run) => {
    const user = await newUser();
    const page = await run.newPage();
    await signIn(page, user);

    await open(page, "/console/two-factor");
    await page.locator("#enrol-password").fill(user.password);
    await page.locator("#start-enrolment").click();
    await page.waitForFunction(() => (document.getElementById("totp-secret")?.textContent.trim() ?? "") !== "");
    const secret = (await page.locator("#totp-secret").textContent()).replace(/\s/g, "");
    assert.match(secret, /^[A-Z2-7]{16,}=*$/, "the page shows the base32 secret");
    assert.ok(await page.locator("#totp-qr").isVisible(), "and the QR code");
    await awayFromStepBoundary();
    await page.locator("#totp-code").fill(totp(secret));
    await page.locator("#confirm-totp").click();
    await page.locator("#backup-codes li").nth(9).waitFor();
    const backupCodes = (await page.locator("#backup-codes li").allTextContents()).map((code) => code.trim());
    assert.equal(backupCodes.length, 10);

    // Shown once: a reload shows neither the secret nor a backup code.
    await page.reload();
    const html = await page.content();
    assert.ok(
      !html.includes(secret) && !backupCodes.some((code) => html.includes(code)),
      "no secret after its showing",
    );
    await signOut(page);

    await enterPassword(page, user);
    await page.locator("#mfa-step").waitFor({ state: "visible" });
    await page.locator("#mfa-code").fill(totp(secret, Date.now() + 30_000));
    await page.locator("#verify-code").click();
    await page.waitForURL("**/console");
    await signOut(page);

    await enterPassword(page, user);
    await page.locator("#mfa-step").waitFor({ state: "visible" });
    await page.locator("#backup-code").fill(backupCodes[0]);
    await page.locator("#use-backup-code").click();
    await page.waitForURL("**/console");
    await open(page, "/console/sessions");
    await assertText(page, '#sessions tr[data-current="true"]', /backup_code|backup code/i);
  },
);

browserTest(
  "API key: shown once on creation and works; rolled, the old key is refused; revoked, the next call is 401",
  async (run) => {
    const user = await newUser();
    const page = await run.newPage();
    page.on("dialog", (dialog) => dialog.accept());
    await signIn(page, user);
    const apiCall = (key) => call(server.base, "GET", "/v1/images", { ip: IP, token: key });

    await open(page, "/console/api-keys");
    await page.locator("#key-name").fill("console key");
    await page.locator("#scope-read").check();
    await page.locator("#create-key").click();
    const key = await readNewKey(page);
    assert.equal((await apiCall(key)).status, 200, "the key shown works against the API");
    await page.reload();
    assert.ok(!(await page.content()).includes(key), "the key is not shown again");

    const rolled = page.waitForResponse((response) => /\/v1\/api-keys\/[^/]+\/roll$/.test(response.url()));
    await page.getByRole("button", { name: "Roll key console key" }).click();
    const newId = (await (await rolled).json()).id;
    const newKey = await readNewKey(page, key);
    assert.equal((await apiCall(key)).status, 401, "the rolled key is refused");
    assert.equal((await apiCall(newKey)).status, 200, "its replacement works");

    await page
      .locator(`tr[data-key-id="${newId}"]`)
      .getByRole("button", { name: /^Revoke key/ })
      .click();
    await page
      .locator(`tr[data-key-id="${newId}"]`)
      .getByRole("button", { name: /^Revoke key/ })
      .waitFor({ state: "hidden" });
    assert.equal((await apiCall(newKey)).status, 401, "the revoked key is refused on the next call");
  },
);

browserTest(
  "two browsers: the sessions page lists both, and the other one, revoked, lands on sign-in at its next page load",
  async (run) => {
    run.allowConsoleError(/status of 401/);
    const user = await newUser();
    const mine = await run.newPage();
    // The other browser's user agent is markup: the sessions page must show it as text.
    const other = await run.newPage({ userAgent: XSS });
    await signIn(mine, user);
    await signIn(other, user);

    await open(mine, "/console/sessions");
    const rows = mine.locator("#sessions tr[data-session-id]");
    await rows.nth(1).waitFor();
    assert.equal(await rows.count(), 2);
    const otherRow = mine.locator('#sessions tr[data-session-id]:not([data-current="true"])');
    assert.match(await otherRow.textContent(), /onerror/, "the other browser's user agent, as text");
    assert.equal(await mine.evaluate(() => window.__pwned), undefined, "no script ran");
    const otherId = await otherRow.getAttribute("data-session-id");
    mine.on("dialog", (dialog) => dialog.accept());
    await otherRow.getByRole("button", { name: `Revoke session ${otherId}` }).click();
    await otherRow.waitFor({ state: "detached" });
    assert.equal(await rows.count(), 1);

    await other.goto("/console/sessions");
    await other.waitForURL("**/console/sign-in?returnTo=**");
    await mine.reload();
    await assertText(mine, "h1", /Your sessions/);
  },
);

browserTest("a name holding markup is shown as text on the account page: no script runs", async (run) => {
  const user = await newUser();
  const page = await run.newPage();
  await signIn(page, user);
  await page.locator("#name").fill(XSS);
  await page.locator("#save-name").click();
  await assertText(page, "#message", /./);
  await page.reload();
  await page.waitForLoadState("networkidle");
  assert.equal(await page.locator("#name").inputValue(), XSS, "the name comes back verbatim");
  assert.equal(await page.locator("img[src=x]").count(), 0, "no element was made from it");
  assert.equal(await page.evaluate(() => window.__pwned), undefined, "no script ran");
  assert.equal(await page.locator("#account-name").textContent(), XSS, "and is shown as text");
});

browserTest(
  "every console page answers 200 with a nonce-based CSP and no console error, signed out and signed in",
  async (run) => {
    const user = await newUser();
    const page = await run.newPage();
    const visit = async (path) => {
      const response = await page.goto(path);
      assert.equal(response.status(), 200, path);
      const csp = response.headers()["content-security-policy"] ?? "";
      assert.match(csp, /script-src 'nonce-[^']+'/, `${path}: scripts only with this response's nonce`);
      assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/, `${path}: no inline script, no other origin`);
      assert.match(csp, /frame-ancestors 'none'/, path);
      await page.locator("h1").waitFor();
      await page.waitForLoadState("networkidle");
      // Keyboard and screen-reader users need a name on every control they can reach.
      const unnamed = await page.evaluate(() =>
        [...document.querySelectorAll("input, select, textarea, button, a[href]")]
          .filter((element) => element.type !== "hidden")
          .filter(
            (element) => !(element.labels?.length || element.getAttribute("aria-label") || element.textContent.trim()),
          )
          .map((element) => element.outerHTML),
      );
      assert.deepEqual(unnamed, [], `${path}: controls without a label or text`);
    };
    // Without a token the link pages say so (and call nothing).
    for (const path of [
      "/console/sign-in",
      "/console/register",
      "/console/forgot-password",
      "/console/reset-password",
      "/console/verify-email",
    ]) {
      await visit(path);
    }
    await signIn(page, user);
    for (const path of [
      "/console",
      "/console/password",
      "/console/two-factor",
      "/console/sessions",
      "/console/api-keys",
      "/console/audit-log",
      "/console/teams",
      "/console/accept-invitation",
    ]) {
      await visit(path);
    }
    await visit("/console/teams");
    await page.locator("#team-name").fill("The CSP team");
    await page.locator("#create-team").click();
    const teamLink = page.locator("#teams a", { hasText: "The CSP team" });
    await teamLink.waitFor();
    await visit(await teamLink.getAttribute("href"));
    await assertText(page, "h1", /The CSP team/);
  },
);

async function assertText(page, selector, pattern) {
  const locator = page.locator(selector);
  await locator.first().waitFor({ state: "attached" });
  await page
    .waitForFunction(
      ({ selector, source, flags }) =>
        new RegExp(source, flags).test(document.querySelector(selector)?.textContent ?? ""),
      { selector, source: pattern.source, flags: pattern.flags },
      { timeout: 10_000 },
    )
    .catch(() => {});
  assert.match(await locator.first().textContent(), pattern, selector);
}

/** The key in `#new-api-key` once it shows one (other than `previous`). */
async function readNewKey(page, previous) {
  await page.waitForFunction(
    (previous) =>
      /^imgbot_live_[0-9a-f]{64}$/.test(document.getElementById("new-api-key")?.textContent.trim() ?? "") &&
      document.getElementById("new-api-key").textContent.trim() !== previous,
    previous,
  );
  return (await page.locator("#new-api-key").textContent()).trim();
}

const focusedId = (page) => page.evaluate(() => document.activeElement?.id ?? "");

/** Presses Tab until the element with `id` has the focus (at most 20 times). */
async function tabTo(page, id) {
  for (let presses = 0; presses < 20; presses += 1) {
    if ((await focusedId(page)) === id) return;
    await page.keyboard.press("Tab");
  }
  assert.fail(`Tab never reached #${id}`);
}

// Issue 19: the API reference, rendered by the Worker from /openapi.json under the console's CSP.
browserTest(
  "the API reference at /docs renders with its style, an anchor per operation, and takes the keyboard",
  async (run) => {
    const page = await run.newPage();
    assert.equal((await page.goto("/docs")).status(), 200);
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), "Skip to the reference");
    // The contents link to each operation; following one by the keyboard lands on its anchor.
    await page.locator('.contents a[href="#listSessions"]').focus();
    await page.keyboard.press("Enter");
    await page.waitForURL(/#listSessions$/);
    assert.ok(await page.locator("section#listSessions").isVisible());
    // An operation found by its operationId, with its route and its errors' codes.
    await page.goto("/docs#createApiKey");
    const operation = page.locator("section#createApiKey");
    assert.match(await operation.locator("h3").textContent(), /POST\s+\/v1\/api-keys/);
    assert.match(await operation.textContent(), /email_unverified/);
    // The nonce'd stylesheet applied (a blocked one would also be a console error, failing the test).
    const post = page.locator(".method-post").first();
    assert.equal(await post.evaluate((node) => getComputedStyle(node).backgroundColor), "rgb(46, 107, 48)");
    // Every operation of the served document has its anchor.
    const served = await (await fetch(`${server.base}/openapi.json`)).json();
    const ids = Object.values(served.paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
    assert.ok(ids.length >= 80);
    for (const id of ids) assert.equal(await page.locator(`section[id="${id}"]`).count(), 1, id);
  },
);
