// API.md "Browser sessions": the cookie session as a real browser (chromium) holds it, and the
// cross-site request forgeries it must refuse. The attacker is another web site on this machine:
// on 127.0.0.1 with another port it is same-site, so the browser DOES send the SameSite=Strict
// cookie with its requests, and only the CSRF check (token and Origin) stands between it and the
// account; on localhost it is cross-site, and the browser keeps the cookie to itself.
import assert from "node:assert/strict";
import { fetchIn, startBrowser, startForeignSite } from "./browser.mjs";
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
 * Runs `attack` in a page of the foreign origin and answers the server's response to `path`: its
 * status, its body when the browser kept it (not for an opaque no-cors answer), and whether
 * chromium reports sending the session cookie (it does for a navigation, not for every fetch).
 */
async function attackFrom(context, origin, path, attack) {
  const page = await context.newPage();
  await page.goto(`${origin}/blank`);
  const answered = page.waitForResponse((response) => response.url() === `${server.base}${path}`);
  await attack(page);
  const response = await answered;
  const sent = await response.request().allHeaders();
  const body = await response.json().catch(() => null);
  return {
    status: response.status(),
    body,
    cookieSent: (sent.cookie ?? "").includes(`${COOKIE}=`),
    origin: sent.origin,
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
    const answer = await attackFrom(context, foreign.sameSite, "/v1/auth/logout-all", (attacker) =>
      attacker.goto(`${foreign.sameSite}/form?target=${encodeURIComponent(target)}`),
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
    const answer = await attackFrom(context, foreign.sameSite, "/v1/api-keys", (attacker) =>
      attacker.goto(`${foreign.sameSite}/form?enctype=text/plain&target=${encodeURIComponent(target)}`),
    );
    assert.equal(answer.cookieSent, true);
    assert.equal(answer.status, 403);
    assert.equal(answer.body?.code, "csrf_failed");
    assert.deepEqual(await accountState(page), before);
  },
);

browserTest(
  "a credentialed fetch from another origin is refused with csrf_failed, even with the victim's CSRF token: nothing changes",
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
    // Its answer is opaque (no-cors), to the attacker and to the test alike: a 403 and not the 401
    // of a request without a session says the cookie went along and the CSRF check refused it.
    assert.equal(simple.status, 403, "the cookie went along, and the request was refused");

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
    assert.equal(crossSite.status, 401, "cross-site: no SameSite=Strict cookie, so no session at all");
    assert.deepEqual(await accountState(page), before);
  },
);
