// Passkeys end to end (issue 17, API.md "Passkeys"): the console in chromium with the DevTools
// WebAuthn virtual authenticator (a platform authenticator with user verification, over a CDP
// session), against the real `npm start` server. The browser reaches it as http://localhost:<port>:
// an IP address is never a valid WebAuthn RP ID, and `npm start` sets WEBAUTHN_ORIGINS to exactly
// that origin. Page ids and labels: src/console/README.md.
import assert from "node:assert/strict";
import * as OTPAuth from "otpauth";
import { fetchIn, startBrowser } from "./browser.mjs";
import { call, register } from "./client.mjs";
import { startServer } from "./server.mjs";

const started = await startServer();
const server = { ...started, base: started.base.replace("127.0.0.1", "localhost") };
const { browserTest } = await startBrowser(server);

// Each test its own client address: a failure's backoff (2^n s) must not reach the next test.
let lastOctet = 20;
const freshIp = () => `198.51.100.${lastOctet++}`;

/** A page whose requests come from `ip`, with a virtual authenticator attached to it. */
async function pageWithAuthenticator(run, ip) {
  const page = await run.newPage({ extraHTTPHeaders: { "CF-Connecting-IP": ip } });
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("WebAuthn.enable");
  await cdp.send("WebAuthn.addVirtualAuthenticator", {
    options: {
      protocol: "ctap2",
      transport: "internal",
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return page;
}

async function open(page, path) {
  await page.goto(path);
  await page.waitForLoadState("networkidle");
}

async function signInWithPassword(page, user) {
  await open(page, "/console/sign-in");
  await page.getByLabel("Email", { exact: true }).fill(user.email);
  await page.getByLabel("Password", { exact: true }).fill(user.password);
  await page.locator("#sign-in").click();
  await page.waitForURL("**/console");
  await page.waitForLoadState("networkidle");
}

/** Adds a passkey on the passkeys page (the session is under 5 minutes old: no password asked). */
async function addPasskey(page, name) {
  await open(page, "/console/passkeys");
  await page.getByLabel("Name", { exact: true }).fill(name);
  await page.locator("#add-passkey").click();
  await page.locator("#passkeys tr[data-passkey-id]").first().waitFor();
  assert.match(await page.locator("#passkeys").textContent(), new RegExp(name));
}

async function signOut(page) {
  await page.locator("#sign-out").click();
  await page.waitForURL("**/console/sign-in**");
}

/** Clicks "Sign in with a passkey" and answers the request the console sent, with its body. */
async function passkeySignIn(page) {
  await open(page, "/console/sign-in");
  const sent = page.waitForRequest((request) => new URL(request.url()).pathname === "/v1/auth/passkey");
  const answered = page.waitForResponse((response) => new URL(response.url()).pathname === "/v1/auth/passkey");
  await page.locator("#passkey-sign-in").click();
  const [request, response] = await Promise.all([sent, answered]);
  return { body: JSON.parse(request.postData()), status: response.status() };
}

async function newUser(ip) {
  const user = await register(started.base, ip);
  assert.equal((await call(started.base, "POST", "/v1/auth/logout", { ip, token: user.token })).status, 204);
  return user;
}

browserTest(
  "add a passkey, sign out, sign in with the passkey alone; its challenge cannot be replayed",
  async (run) => {
    const ip = freshIp();
    const user = await newUser(ip);
    const page = await pageWithAuthenticator(run, ip);
    await signInWithPassword(page, user);
    await addPasskey(page, "Virtual laptop");
    await signOut(page);

    const { body, status } = await passkeySignIn(page);
    assert.equal(status, 200);
    await page.waitForURL("**/console");
    await page.waitForLoadState("networkidle");
    assert.match(await page.locator("#account-email").textContent(), new RegExp(user.email.replace(/\./g, "\\.")));
    const sessions = await fetchIn(page, "GET", "/v1/sessions");
    assert.equal(sessions.body.data.find((session) => session.current)?.signInMethod, "passkey");

    // The same challenge and assertion again, from the same page: refused (single use).
    run.allowConsoleError(/401/);
    const replay = await fetchIn(page, "POST", "/v1/auth/passkey", { body });
    assert.equal(replay.status, 401);
    assert.equal(replay.body.code, "invalid_credentials");
  },
);

browserTest("a user with 2FA on signs in with a passkey and is asked for no code", async (run) => {
  const ip = freshIp();
  const user = await newUser(ip);
  const page = await pageWithAuthenticator(run, ip);
  await signInWithPassword(page, user);
  await addPasskey(page, "Before 2FA");
  // 2FA goes on (through the API, as in the 2FA tests), then the browser signs out.
  const token = (
    await call(started.base, "POST", "/v1/auth/login", {
      ip,
      body: { email: user.email, password: user.password },
    })
  ).body.token;
  const enrolled = await call(started.base, "POST", "/v1/me/2fa/totp", {
    ip,
    token,
    body: { password: user.password },
  });
  const code = OTPAuth.TOTP.generate({ secret: OTPAuth.Secret.fromBase32(enrolled.body.secret) });
  const confirmed = await call(started.base, "POST", "/v1/me/2fa/totp/confirm", { ip, token, body: { code } });
  assert.equal(confirmed.status, 200);
  await signOut(page);

  const { status } = await passkeySignIn(page);
  assert.equal(status, 200);
  await page.waitForURL("**/console");
  await page.waitForLoadState("networkidle");
  assert.match(await page.locator("#account-email").textContent(), new RegExp(user.email.replace(/\./g, "\\.")));
});

browserTest("a removed passkey no longer signs in", async (run) => {
  const ip = freshIp();
  const user = await newUser(ip);
  const page = await pageWithAuthenticator(run, ip);
  await signInWithPassword(page, user);
  await addPasskey(page, "Soon removed");
  await page.getByRole("button", { name: "Remove passkey Soon removed" }).click();
  await page
    .locator("#message")
    .filter({ hasText: /removed/ })
    .waitFor();
  assert.equal(await page.locator("#passkeys tr[data-passkey-id]").count(), 0);
  await signOut(page);

  // The authenticator still holds the credential; the server no longer knows it.
  run.allowConsoleError(/401/);
  const { status } = await passkeySignIn(page);
  assert.equal(status, 401);
  await page
    .locator("#error")
    .filter({ hasText: /could not be verified/ })
    .waitFor();
  assert.match(page.url(), /\/console\/sign-in/);
});
