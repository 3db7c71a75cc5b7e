// Takes the README's pictures of the console (`node test/tools/console-screenshots.mjs`): the
// sessions page with two browsers signed in, and the 2FA page in the middle of enrolment. A
// throwaway account on a fresh local server (its own port and state, stopped at the end), chromium
// at 800x600, PNGs written to test/e2e/screenshots/ (committed; keep each under ~60 KB).
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM, VIEWPORT } from "../e2e/browser.mjs";
import { freePort } from "../e2e/server.mjs";
import { callJson, startLocalWorker, verifyEmailLocally } from "./local-worker.mjs";

const OUT = fileURLToPath(new URL("../e2e/screenshots/", import.meta.url));
const IP = "198.51.100.90";
const state = mkdtempSync(join(tmpdir(), "imagebot-screenshots-"));
const server = await startLocalWorker({ port: await freePort(), state });
const browser = await chromium.launch({ executablePath: CHROMIUM });
try {
  const user = { email: "ada@example.com", password: "a screenshot passphrase, long enough", name: "Ada" };
  const { token } = await callJson(server.base, "POST", "/v1/auth/register", { ip: IP, body: user });
  await verifyEmailLocally(server.base, user.email, IP);
  // Only the two browsers' sessions on the picture.
  await callJson(server.base, "POST", "/v1/auth/logout", { ip: IP, token });

  const signedIn = async (userAgent) => {
    const context = await browser.newContext({ baseURL: server.base, viewport: VIEWPORT, userAgent });
    const page = await context.newPage();
    await page.goto("/console/sign-in");
    await page.waitForLoadState("networkidle");
    await page.getByLabel("Email", { exact: true }).fill(user.email);
    await page.getByLabel("Password", { exact: true }).fill(user.password);
    await page.locator("#sign-in").click();
    await page.waitForURL("**/console");
    return page;
  };
  await signedIn("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0");
  const page = await signedIn("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) Chrome/131.0 Safari/537.36");

  await page.goto("/console/sessions");
  await page.waitForLoadState("networkidle");
  await page.locator("#sessions tr[data-session-id]").nth(1).waitFor();
  await shoot(page, "sessions.png");

  await page.goto("/console/two-factor");
  await page.waitForLoadState("networkidle");
  await page.locator("#enrol-password").fill(user.password);
  await page.locator("#start-enrolment").click();
  await page.locator("#totp-qr").waitFor({ state: "visible" });
  await shoot(page, "two-factor.png");
} finally {
  await browser.close();
  await server.stop();
  rmSync(state, { recursive: true, force: true });
}

async function shoot(page, name) {
  const path = join(OUT, name);
  await page.screenshot({ path });
  const kb = Math.round(statSync(path).size / 1024);
  console.log(`${path}: ${kb} KB${kb > 60 ? " (over 60 KB: keep README pictures small)" : ""}`);
}
