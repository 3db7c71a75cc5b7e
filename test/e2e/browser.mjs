// A real browser for the e2e tests: Debian's chromium (`apt-get install chromium`, which .ci/run
// does when it is missing) driven through playwright-core, so no browser is downloaded. One browser
// per test file; each `browserTest` gets fresh contexts (cookie jars) and fails on anything a
// user's browser would report: a console error, an uncaught page error, or a page of ours served
// without its Content-Security-Policy. On a failure, every open page is saved as a PNG under
// .ci/logs/e2e-screenshots/ and the paths are printed.
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import http from "node:http";
import { join } from "node:path";
import { after, test } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const SCREENSHOT_DIR = fileURLToPath(new URL("../../.ci/logs/e2e-screenshots/", import.meta.url));
// Small enough for a readable screenshot; the console must not break far below it (360 px).
export const VIEWPORT = { width: 800, height: 600 };
// Served by BrowserRun.blankPage, never by the server: no CSP expected on it.
const BLANK_PATH = "/__e2e/blank";

/** Launches chromium for this file (closed when the file ends) and returns `browserTest`. */
export async function startBrowser(server) {
  const browser = await chromium.launch({ executablePath: CHROMIUM });
  after(() => browser.close());
  /** A node:test test whose body gets a `BrowserRun`; see the file comment for what fails it. */
  const browserTest = (name, body) =>
    test(name, async (t) => {
      const run = new BrowserRun(browser, server);
      try {
        await body(run);
        run.assertNothingReported();
      } catch (error) {
        for (const path of await run.screenshots(name)) t.diagnostic(`screenshot: ${path}`);
        throw error;
      } finally {
        await run.close();
      }
    });
  return { browser, browserTest };
}

/** The contexts and pages one test opened, and what they reported. */
export class BrowserRun {
  constructor(browser, server) {
    this.browser = browser;
    this.server = server;
    this.origin = new URL(server.base).origin;
    this.contexts = [];
    this.reported = [];
    this.allowed = [];
  }

  /** A console error matching `pattern` is expected (e.g. the 401 of a revoked session's fetch). */
  allowConsoleError(pattern) {
    this.allowed.push(pattern);
  }

  /**
   * A fresh context (its own cookie jar, like another browser) whose pages report their console
   * errors and page errors, and whose documents from our origin must carry a CSP.
   */
  async newContext(options = {}) {
    const context = await this.browser.newContext({ baseURL: this.server.base, viewport: VIEWPORT, ...options });
    this.contexts.push(context);
    context.on("page", (page) => this.watch(page));
    return context;
  }

  /**
   * A page at our origin, blank and served by the test itself (page.route, never the server), so
   * that script run in it with page.evaluate calls /v1 the way the console's own script does:
   * same origin, the browser's cookie jar, its Origin header.
   */
  async blankPage(context) {
    const page = await context.newPage();
    await page.route(`${this.origin}${BLANK_PATH}`, (route) =>
      route.fulfill({ status: 200, contentType: "text/html", body: "<!doctype html><title>e2e</title>" }),
    );
    await page.goto(BLANK_PATH);
    return page;
  }

  /** A new page in a new context: the usual start of a journey. */
  async newPage(options) {
    const context = await this.newContext(options);
    return context.newPage();
  }

  watch(page) {
    const where = () => page.url();
    page.on("console", (message) => {
      if (message.type() === "error") this.report(page, `console error on ${where()}: ${message.text()}`);
    });
    page.on("pageerror", (error) => this.report(page, `uncaught error on ${where()}: ${error.message}`));
    page.on("response", (response) => {
      const request = response.request();
      const url = new URL(response.url());
      if (request.resourceType() !== "document" || url.origin !== this.origin || url.pathname === BLANK_PATH) return;
      if (!response.headers()["content-security-policy"]) {
        this.reported.push(
          `no Content-Security-Policy on ${request.method()} ${response.url()} (${response.status()})`,
        );
      }
    });
  }

  /** Only our pages count: an attacker's page in a CSRF test logs its CORS failures, as it should. */
  report(page, line) {
    if (!page.url().startsWith(`${this.origin}/`)) return;
    if (!this.allowed.some((pattern) => pattern.test(line))) this.reported.push(line);
  }

  assertNothingReported() {
    assert.deepEqual(this.reported, [], "the browser reported errors");
  }

  /** Every open page as a PNG under SCREENSHOT_DIR; returns the paths. */
  async screenshots(testName) {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const slug = testName.replace(/[^A-Za-z0-9]+/g, "-").slice(0, 80);
    const paths = [];
    for (const [c, context] of this.contexts.entries()) {
      for (const [p, page] of context.pages().entries()) {
        const path = join(SCREENSHOT_DIR, `${slug}-context${c + 1}-page${p + 1}.png`);
        try {
          await page.screenshot({ path, fullPage: true, timeout: 10_000 });
          paths.push(path);
          console.error(`e2e screenshot (${page.url()}): ${path}`);
        } catch (error) {
          console.error(`e2e screenshot of ${page.url()} failed: ${error.message}`);
        }
      }
    }
    return paths;
  }

  async close() {
    await Promise.all(this.contexts.map((context) => context.close().catch(() => {})));
  }
}

/**
 * `fetch` run inside `page` (the browser's cookie jar, Origin and CORS rules apply), answering
 * `{status, body}` with a JSON body parsed. `csrf` becomes `X-CSRF-Token`.
 */
export function fetchIn(page, method, path, { body, csrf, credentials = "same-origin" } = {}) {
  return page.evaluate(
    async ({ method, path, body, csrf, credentials }) => {
      const headers = {};
      if (body !== undefined) headers["Content-Type"] = "application/json";
      if (csrf) headers["X-CSRF-Token"] = csrf;
      const response = await fetch(path, {
        method,
        headers,
        credentials,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await response.text();
      return {
        status: response.status,
        body: /json/.test(response.headers.get("Content-Type")) ? JSON.parse(text) : text,
      };
    },
    { method, path, body, csrf, credentials },
  );
}

/**
 * Another web site on this machine: a node http server on its own port of 127.0.0.1 answering
 * `pages[path]` as HTML (a function of the request's URL, or a string). Reached as
 * http://127.0.0.1:<port> it is same-site with the server (a site is scheme and host, ports do not
 * count) but cross-origin; as http://localhost:<port> it is cross-site too. Closed when the file ends.
 */
export async function startForeignSite(pages) {
  const site = http.createServer((request, response) => {
    const url = new URL(request.url, "http://foreign.invalid");
    const page = pages[url.pathname];
    if (!page) return response.writeHead(404).end();
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    response.end(typeof page === "function" ? page(url) : page);
  });
  await new Promise((resolve) => site.listen(0, "127.0.0.1", resolve));
  after(() => new Promise((resolve) => site.close(resolve)));
  const { port } = site.address();
  return { sameSite: `http://127.0.0.1:${port}`, crossSite: `http://localhost:${port}` };
}

/**
 * What went over the wire for `page`, from chromium's own network log (DevTools protocol): the
 * headers a request was really sent with (Cookie included) and the status the server answered,
 * also for an answer the page never gets to see (an opaque no-cors response, or one blocked by
 * Cross-Origin-Resource-Policy, for which Playwright reports no response at all).
 * `exchange(url)` waits for the first request to `url` that has an answer.
 */
export async function watchWire(page) {
  const cdp = await page.context().newCDPSession(page);
  const byId = new Map();
  const entry = (id) => byId.get(id) ?? byId.set(id, {}).get(id);
  cdp.on("Network.requestWillBeSent", (event) => {
    entry(event.requestId).url = event.request.url;
  });
  cdp.on("Network.requestWillBeSentExtraInfo", (event) => {
    entry(event.requestId).headers = Object.fromEntries(
      Object.entries(event.headers).map(([name, value]) => [name.toLowerCase(), value]),
    );
  });
  cdp.on("Network.responseReceivedExtraInfo", (event) => {
    entry(event.requestId).status = event.statusCode;
  });
  await cdp.send("Network.enable");
  return {
    async exchange(url, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const seen = [...byId.values()].find((e) => e.url === url && e.status !== undefined && e.headers);
        if (seen) return { status: seen.status, headers: seen.headers };
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      throw new Error(`chromium sent no request to ${url} that got an answer`);
    },
  };
}
