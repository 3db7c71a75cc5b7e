// API.md "Browser sessions": the cookie session as a real browser (chromium) holds it, and the
// cross-site request forgeries it must refuse. The attacker is another web site on this machine:
// on 127.0.0.1 with another port it is same-site, so the browser DOES send the SameSite=Strict
// cookie with its requests, and only the CSRF check (token and Origin) stands between it and the
// account; on localhost it is cross-site, and the browser keeps the cookie to itself.
import assert from "node:assert/strict";
import { fetchIn, startBrowser, startForeignSite, watchWire } from "./browser.mjs";
import { register } from "./client.mjs";
import { startServer } from "./server.mjs";

const server = await startServer();
const { browserTest } = await startBrowser(server);
const COOKIE = "__Host-imagebot_session";
const IP = "198.51.100.61";

// The attacker's pages. Each names the victim service in its query (`?target=`): a form that posts
// itself, and script that sends a credentialed `fetch` the way CORS lets any site send one
// unasked: a "simple" request (POST, text/plain), whose answer the attacker cannot read but which
// the server still receives, with the cookie.
const foreign = await startForeignSite({
  "/form": (url) => `<!doctype html><title>win a prize</title>
    <form method="post" action="${url.searchParams.get("target")}" enctype="${url.searchParams.get("enctype") ?? "application/x-www-form-urlencoded"}">
      <input type="hidden" name='{"name":"planted by csrf","scopes":["read","generate","manage"],"x":"' value='"}'>
    </form>
    <script>document.forms[0].submit()</script>`,
  "/blank": "<!doctype html><title>a page like any other</title>",
});

/** A verified account signed in with a cookie session in a fresh context; its blank page and csrfToken. */
async function signedInWithCookie(run) {
  const user = await register(server.base, IP);
  const context = await run.newContext();
  const page = await run.blankPage(context);
  const login = await fetchIn(page, "POST", "/v1/auth/login", {
    body: { email: user.email, password: user.password, session: "cookie" },
  });
  assert.equal(login.status, 200, JSON.stringify(login.body));
  return { user, context, page, csrfToken: login.body.csrfToken, login };
}

/** What the attack would have changed, read back by the victim's own browser. */
async function accountState(page) {
  const me = await fetchIn(page, "GET", "/v1/me");
  const keys = await fetchIn(page, "GET", "/v1/api-keys");
  const sessions = await fetchIn(page, "GET", "/v1/sessions");
  assert.equal(me.status, 200, "the victim's cookie session still works");
  return { name: me.body.name, keys: keys.body.data?.length, sessions: sessions.body.data?.map((s) => s.id).sort() };
}

/**
 * Runs `attack` in a page of the foreign origin and answers what went over the wire to `path`
 * (chromium's network log): the status the server answered, whether the request carried the
 * session cookie and its Origin. The body, when the browser kept one (a navigation; not an opaque
 * no-cors answer), comes as `body` when the attack `navigates`.
 */
async function attackFrom(context, origin, path, attack, { navigates = false } = {}) {
  const page = await context.newPage();
  await page.goto(`${origin}/blank`);
  const wire = await watchWire(page);
  const url = `${server.base}${path}`;
  const navigated = navigates && page.waitForResponse((response) => response.url() === url);
  await attack(page);
  const { status, headers } = await wire.exchange(url);
  const response = await navigated;
  return {
    status,
    body: response ? await response.json().catch(() => null) : null,
    cookieSent: (headers.cookie ?? "").includes(`${COOKIE}=`),
    origin: headers.origin,
  };
}

browserTest(
  "the session cookie in chromium's jar is __Host-, HttpOnly, Secure, SameSite=Strict, Path=/, host-only, and script cannot read it",
  async (run) => {
    const user = await register(server.base, IP);
    const page = await run.blankPage(await run.newContext());
    const setCookie = page.waitForResponse((response) => response.url().endsWith("/v1/auth/login"));
    const login = await fetchIn(page, "POST", "/v1/auth/login", {
      body: { email: user.email, password: user.password, session: "cookie" },
    });
    assert.equal(login.status, 200, JSON.stringify(login.body));
    assert.equal(login.body.token, undefined, "a cookie sign-in hands script no token");
    assert.match(login.body.csrfToken, /\S{16,}/);

    const [cookie, ...others] = await page.context().cookies(server.base);
    assert.deepEqual(others, [], "the sign-in set one cookie");
    assert.equal(cookie.name, COOKIE);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.secure, true);
    assert.equal(cookie.sameSite, "Strict");
    assert.equal(cookie.path, "/");
    assert.equal(cookie.domain, new URL(server.base).hostname, "host-only: no Domain attribute widened it");
    const weekFromNow = Date.now() / 1000 + 604_800;
    assert.ok(Math.abs(cookie.expires - weekFromNow) < 120, `expires in 7 days (${cookie.expires})`);
    const header = (await (await setCookie).allHeaders())["set-cookie"];
    assert.doesNotMatch(header, /domain=/i, header);

    assert.equal(await page.evaluate(() => document.cookie), "", "HttpOnly: page script sees no cookie");
    const me = await fetchIn(page, "GET", "/v1/me");
    assert.equal(me.status, 200, "the browser signs its requests with the cookie alone");
    assert.equal(me.body.email, user.email);
  },
);

browserTest(
  "a same-site form POST to logout-all carries the cookie and is refused with csrf_failed: every session lives on",
  async (run) => {
    run.allowConsoleError(/status of 403/);
    const { page, context } = await signedInWithCookie(run);
    const before = await accountState(page);

    const target = `${server.base}/v1/auth/logout-all`;
    const answer = await attackFrom(
      context,
      foreign.sameSite,
      "/v1/auth/logout-all",
      (attacker) => attacker.goto(`${foreign.sameSite}/form?target=${encodeURIComponent(target)}`),
      { navigates: true },
    );
    assert.equal(answer.cookieSent, true, "same-site: chromium sent the SameSite=Strict cookie with the forged form");
    assert.equal(answer.origin, foreign.sameSite);
    assert.equal(answer.status, 403);
    assert.equal(answer.body?.code, "csrf_failed");
    assert.deepEqual(await accountState(page), before);
  },
);

browserTest(
  "a same-site text/plain form POST that spells a JSON key request is refused with csrf_failed: no key is made",
  async (run) => {
    run.allowConsoleError(/status of 403/);
    const { page, context } = await signedInWithCookie(run);
    const before = await accountState(page);

    const target = `${server.base}/v1/api-keys`;
    const answer = await attackFrom(
      context,
      foreign.sameSite,
      "/v1/api-keys",
      (attacker) => attacker.goto(`${foreign.sameSite}/form?enctype=text/plain&target=${encodeURIComponent(target)}`),
      { navigates: true },
    );
    assert.equal(answer.cookieSent, true);
    assert.equal(answer.status, 403);
    assert.equal(answer.body?.code, "csrf_failed");
    assert.deepEqual(await accountState(page), before);
  },
);

browserTest(
  "a credentialed fetch from another origin carries the cookie and is refused (403), even with the victim's CSRF token: nothing changes",
  async (run) => {
    const { page, context, csrfToken } = await signedInWithCookie(run);
    const before = await accountState(page);
    const attack = (path, init) => (attacker) =>
      attacker.evaluate(
        ({ url, init }) => fetch(url, { ...init, credentials: "include" }).catch(() => "blocked by CORS"),
        { url: `${server.base}${path}`, init },
      );

    // A simple request (no preflight): the browser sends it, with the cookie; only the answer is hidden.
    const simple = await attackFrom(
      context,
      foreign.sameSite,
      "/v1/auth/logout-all",
      attack("/v1/auth/logout-all", { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" } }),
    );
    // Its answer is opaque (no-cors, and blocked by Cross-Origin-Resource-Policy): only the wire
    // tells that the cookie went along and the server refused the request.
    assert.equal(simple.cookieSent, true, "same-site: chromium sent the SameSite=Strict cookie with the fetch");
    assert.equal(simple.status, 403, "refused (the body, csrf_failed, is hidden from the page)");

    // The same attack with the JSON body, a made-up token and then the real one (as if it leaked):
    // non-simple, so the browser asks first (preflight). Whether or not the preflight lets it
    // through, the account must not change: the Origin is foreign.
    const attacker = await context.newPage();
    await attacker.goto(`${foreign.sameSite}/blank`);
    for (const token of ["guessed-token", csrfToken]) {
      await attacker.evaluate(
        ({ url, token }) =>
          fetch(url, {
            method: "PATCH",
            credentials: "include",
            headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
            body: JSON.stringify({ name: "renamed by csrf" }),
          }).catch(() => "blocked by CORS"),
        { url: `${server.base}/v1/me`, token },
      );
    }
    // Cross-site (localhost): chromium keeps the SameSite=Strict cookie out of it altogether.
    const crossSite = await attackFrom(
      context,
      foreign.crossSite,
      "/v1/auth/logout-all",
      attack("/v1/auth/logout-all", { method: "POST", mode: "no-cors", headers: { "Content-Type": "text/plain" } }),
    );
    assert.equal(crossSite.cookieSent, false, "cross-site: chromium keeps the SameSite=Strict cookie back");
    assert.equal(crossSite.status, 401, "so the request has no session at all");
    assert.deepEqual(await accountState(page), before);
  },
);
