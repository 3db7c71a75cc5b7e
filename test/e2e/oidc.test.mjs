// Sign in with an OpenID provider, end to end (issue 17): a real `oidc-provider` issuer (its own
// login and consent pages, PKCE, signed ID tokens) in this process, and `npm start` configured with
// it through OIDC_ISSUER / OIDC_CLIENT_ID / OIDC_CLIENT_SECRET. A browser is played over HTTP: its
// cookie jar per origin, its redirects followed one by one, the provider's forms filled in. What the
// Worker is sent and answers is the real thing; tampering is done by the issuer's proxy (see
// oidc-issuer.mjs), so each refused ID token is a genuinely signed one, or one really altered.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { startBrowser } from "./browser.mjs";
import { register } from "./client.mjs";
import { CLIENT_ID, startIssuer } from "./oidc-issuer.mjs";
import { freePort, startServer } from "./server.mjs";

// At the top level (not in a hook): their `after` stops then belong to the file, not to a hook.
const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const issuer = await startIssuer({ callbackUrl: `${base}/v1/auth/oauth/oidc/callback` });
const server = await startServer(
  {
    OIDC_ISSUER: issuer.issuer,
    OIDC_CLIENT_ID: CLIENT_ID,
    OIDC_CLIENT_SECRET: issuer.clientSecret,
    OIDC_NAME: "Local ID",
  },
  port,
);

let addressCounter = 0;
/** A browser: one client address (CF-Connecting-IP) and a cookie jar per origin. */
function newBrowser() {
  addressCounter += 1;
  return { ip: `198.51.100.${addressCounter}`, jars: new Map() };
}

async function visit(browser, url, { method = "GET", body, headers = {} } = {}) {
  const target = new URL(url);
  const jar = browser.jars.get(target.origin) ?? new Map();
  browser.jars.set(target.origin, jar);
  const sent = { "CF-Connecting-IP": browser.ip, ...headers };
  if (jar.size > 0) sent.Cookie = [...jar].map(([name, value]) => `${name}=${value}`).join("; ");
  const response = await fetch(target, { method, headers: sent, body, redirect: "manual" }).catch((error) => {
    throw new Error(`${method} ${target}: ${error.cause?.message ?? error.message}`);
  });
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(";");
    const index = pair.indexOf("=");
    const name = pair.slice(0, index);
    if (/max-age=0|expires=thu, 01 jan 1970/i.test(line)) jar.delete(name);
    else jar.set(name, pair.slice(index + 1));
  }
  return response;
}

/**
 * Follows a flow from `url` until it comes back to the Worker's callback; fills the provider's
 * login form with `email` and approves its consent page. Returns the callback URL (not yet opened).
 */
async function throughProvider(browser, url, email) {
  let next = url;
  for (let step = 0; step < 20; step++) {
    if (next.startsWith(`${base}/v1/auth/oauth/oidc/callback`)) return next;
    const response = await visit(browser, next);
    if (response.status >= 300 && response.status < 400) {
      next = new URL(response.headers.get("Location"), next).toString();
      continue;
    }
    const html = await response.text();
    assert.equal(response.status, 200, `the provider answered ${response.status}: ${html.slice(0, 300)}`);
    const action = /<form[^>]*action="([^"]+)"/.exec(html)?.[1];
    const prompt = /name="prompt" value="([^"]+)"/.exec(html)?.[1];
    assert.ok(action && prompt, "a provider page without its form");
    const form = new URLSearchParams({ prompt });
    if (prompt === "login") {
      form.set("login", email);
      form.set("password", "any password");
    }
    const submitted = await visit(browser, new URL(action, next).toString(), {
      method: "POST",
      body: form.toString(),
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    assert.ok(submitted.status >= 300 && submitted.status < 400, `the form answered ${submitted.status}`);
    next = new URL(submitted.headers.get("Location"), next).toString();
  }
  throw new Error("the flow never came back to the callback");
}

/** Starts a sign-in at the Worker; returns the callback URL the provider sends the browser to. */
async function signInAtProvider(browser, email, returnTo = "/console") {
  const start = await visit(browser, `${base}/v1/auth/oauth/oidc/start?returnTo=${encodeURIComponent(returnTo)}`);
  assert.equal(start.status, 302);
  const authorization = new URL(start.headers.get("Location"));
  assert.equal(authorization.origin, issuer.issuer);
  assert.equal(authorization.searchParams.get("code_challenge_method"), "S256");
  assert.ok(authorization.searchParams.get("nonce"));
  return throughProvider(browser, authorization.toString(), email);
}

/** Opens the callback; returns where the Worker sends the browser. */
async function finish(browser, callbackUrl) {
  const response = await visit(browser, callbackUrl);
  assert.equal(response.status, 302, `callback answered ${response.status}`);
  return response.headers.get("Location");
}

async function me(browser) {
  const response = await visit(browser, `${base}/v1/me`);
  return { status: response.status, body: response.status === 200 ? await response.json() : null };
}

const newEmail = () => `oidc.${randomUUID()}@example.com`;

describe("sign in with a local OpenID provider (oidc-provider)", () => {
  it("lists the provider, signs a new person up, and signs them in again later", async () => {
    const listed = await visit(newBrowser(), `${base}/v1/auth/providers`);
    assert.deepEqual(await listed.json(), { data: [{ id: "oidc", name: "Local ID" }], nextCursor: null });

    const email = newEmail();
    const browser = newBrowser();
    assert.equal(await finish(browser, await signInAtProvider(browser, email, "/console/keys")), "/console/keys");
    const first = await me(browser);
    assert.equal(first.status, 200);
    assert.equal(first.body.email, email);
    assert.equal(first.body.emailVerified, true);

    const later = newBrowser();
    assert.equal(await finish(later, await signInAtProvider(later, email)), "/console");
    assert.equal((await me(later)).body.id, first.body.id);
  });

  it("a replayed state is refused", async () => {
    const browser = newBrowser();
    const callback = await signInAtProvider(browser, newEmail());
    assert.equal(await finish(browser, callback), "/console");
    assert.equal(await finish(browser, callback), "/console/sign-in?error=invalid_state");
  });

  it("the email of an existing account is not linked: account_exists", async () => {
    const owner = await register(base, "198.51.100.200");
    const browser = newBrowser();
    assert.equal(
      await finish(browser, await signInAtProvider(browser, owner.email)),
      "/console/sign-in?error=account_exists",
    );
    assert.equal((await me(browser)).status, 401);
  });

  it("a password user links the provider from the console, and then signs in with it", async () => {
    const owner = await register(base, "198.51.100.201");
    const browser = newBrowser();
    const login = await visit(browser, `${base}/v1/auth/login`, {
      method: "POST",
      headers: { "Content-Type": "application/json", Origin: base },
      body: JSON.stringify({ email: owner.email, password: owner.password, session: "cookie" }),
    });
    assert.equal(login.status, 200);
    const { csrfToken } = await login.json();
    const link = await visit(browser, `${base}/v1/me/identities/oidc/link`, {
      method: "POST",
      headers: { "X-CSRF-Token": csrfToken, Origin: base },
    });
    assert.equal(link.status, 200);
    const providerEmail = newEmail();
    const callback = await throughProvider(browser, (await link.json()).url, providerEmail);
    assert.equal(await finish(browser, callback), "/console/sign-in-methods");

    const elsewhere = newBrowser();
    assert.equal(await finish(elsewhere, await signInAtProvider(elsewhere, providerEmail)), "/console");
    assert.equal((await me(elsewhere)).body.id, owner.user.id);
  });

  it("a returnTo pointing elsewhere is refused before anything starts", async () => {
    for (const returnTo of ["https://evil.example/", "//evil.example", "/\\evil.example", "/console/..%2f"]) {
      const response = await visit(
        newBrowser(),
        `${base}/v1/auth/oauth/oidc/start?returnTo=${encodeURIComponent(returnTo)}`,
      );
      assert.equal(response.status, 400, returnTo);
      assert.equal(response.headers.get("Location"), null);
    }
  });

  for (const [mode, what] of [
    ["nonce", "an ID token whose nonce is not this flow's (signed by the provider)"],
    ["audience", "an ID token issued to another client (signed by the provider)"],
    ["signature", "an ID token whose signature was altered"],
  ]) {
    it(`refuses ${what}`, async () => {
      const browser = newBrowser();
      issuer.tamper.mode = mode;
      try {
        const callback = await signInAtProvider(browser, newEmail());
        assert.equal(await finish(browser, callback), "/console/sign-in?error=invalid_id_token");
      } finally {
        issuer.tamper.mode = null;
      }
      assert.equal((await me(browser)).status, 401);
    });
  }
});

// The same flows as a person makes them: the console's button, the provider's own login and
// consent pages in chromium, and the console's answer (test/e2e/browser.mjs fails a test on any
// console error or missing CSP on our pages).
describe("in chromium, through the console", async () => {
  const { browserTest } = await startBrowser(server);

  /** From the console's sign-in page through the provider's login and consent, as `email`. */
  async function signInWithProvider(page, email) {
    await page.goto("/console/sign-in");
    await page.getByRole("link", { name: "Sign in with Local ID" }).click();
    await page.locator('input[name="login"]').fill(email);
    await page.locator('input[name="password"]').fill("any password");
    await page.getByRole("button", { name: "Sign-in" }).click();
    await page.getByRole("button", { name: "Continue" }).click();
  }

  browserTest(
    "the provider button signs a new person up and in: the account page shows their verified email",
    async (run) => {
      const page = await run.newPage();
      const email = newEmail();
      await signInWithProvider(page, email);
      await page.waitForURL(`${base}/console`);
      await page.locator("#account-email").filter({ hasText: email }).waitFor();
      assert.equal((await page.locator("#email-status").textContent()).trim(), "verified");
    },
  );

  browserTest("an existing account's email is never linked: the sign-in page says so in words", async (run) => {
    const owner = await register(base, "198.51.100.202");
    const page = await run.newPage();
    await signInWithProvider(page, owner.email);
    await page.waitForURL(`${base}/console/sign-in?error=account_exists`);
    await page.locator("#error").filter({ hasText: "already exists" }).waitFor();
    assert.equal(
      (await page.context().cookies(base)).some((cookie) => cookie.name === "__Host-imagebot_session"),
      false,
    );
  });
});
