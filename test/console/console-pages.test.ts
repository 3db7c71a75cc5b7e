// Issue 16, the account console: every page is served with a strict CSP whose nonce is fresh per
// response and is the only way a script or style runs; nothing is cached; the server renders no
// user data and no secret (keys, TOTP secrets and backup codes exist only in the browser after
// the API answers); the 2FA QR code is an inert SVG image drawn on the server.
import { describe, expect, it } from "vitest";
import { consolePages } from "../../src/console/mount";
import { consoleScript } from "../../src/console/script";
import { qrCodeSvgDataUri } from "../../src/services/qr-code";
import { api, expectProblem, registerUser } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { asOperator } from "../helpers/operator";
import { enrollTwoFactor } from "../helpers/totp";

/** A concrete URL for every console page (a team page needs an id in its path). */
const pageUrls = Object.keys(consolePages).map((path) => path.replace(":id", "team_doesnotmatter"));

function cspOf(response: Response) {
  const header = response.headers.get("Content-Security-Policy") ?? "";
  const directives = new Map(
    header.split(";").map((part) => {
      const [name = "", ...values] = part.trim().split(/\s+/);
      return [name, values.join(" ")] as const;
    }),
  );
  const nonce = /'nonce-([^']+)'/.exec(directives.get("script-src") ?? "")?.[1];
  return { header, directives, nonce };
}

async function getPage(url: string, token?: string) {
  const response = await api("GET", url, token ? { token } : {});
  return { response, html: await response.text(), csp: cspOf(response) };
}

describe("console pages", () => {
  it("every page answers 200 HTML with the strict CSP, no-store and frame-ancestors 'none'", async () => {
    expect(pageUrls.length).toBeGreaterThanOrEqual(13);
    for (const url of pageUrls) {
      const { response, html, csp } = await getPage(url);
      expect({ url, status: response.status }).toEqual({ url, status: 200 });
      expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
      expect(html.startsWith("<!doctype html>")).toBe(true);
      expect(response.headers.get("Cache-Control")).toBe("no-store");
      expect(response.headers.get("X-Frame-Options")).toBe("DENY");
      expect(Object.fromEntries(csp.directives)).toEqual({
        "default-src": "'none'",
        "script-src": `'nonce-${csp.nonce}'`,
        "style-src": `'nonce-${csp.nonce}'`,
        "img-src": "'self' data:",
        "connect-src": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
      });
      // No third-party origin anywhere: no URL with a scheme in the policy or the page's resources.
      expect(csp.header).not.toMatch(/https?:|\*/);
      expect(html).not.toMatch(/\b(?:src|href|action)="(?:https?:)?\/\//);
    }
  });

  it("the nonce is fresh per response and is on every script and style tag, which are the only ones", async () => {
    const seen = new Set<string>();
    for (const url of [...pageUrls, ...pageUrls]) {
      const { html, csp } = await getPage(url);
      expect(csp.nonce).toMatch(/^[A-Za-z0-9+/=]{20,}$/);
      seen.add(csp.nonce ?? "");
      const tags = [...html.matchAll(/<(script|style)\b[^>]*>/g)].map((match) => match[0]);
      // The style, the console's script and the passkeys script (issue 17).
      expect(tags).toHaveLength(3);
      for (const tag of tags) expect(tag).toContain(`nonce="${csp.nonce}"`);
      // The scripts are the served files; no script is inline.
      expect(html).toMatch(/<script nonce="[^"]+" src="\/console\/assets\/console.js" defer=""><\/script>/);
      expect(html).toMatch(/<script nonce="[^"]+" src="\/console\/assets\/passkeys.js" defer=""><\/script>/);
    }
    expect(seen.size).toBe(pageUrls.length * 2);
  });

  it("no page has an inline event handler or a javascript: URL (the CSP would block them; none is needed)", async () => {
    for (const url of pageUrls) {
      const { html } = await getPage(url);
      expect({ url, handlers: html.match(/\son[a-z]+\s*=/gi) }).toEqual({ url, handlers: null });
      expect(html).not.toMatch(/javascript:/i);
    }
  });

  it("every input has a label, and every page has one h1 and the alert region for problems", async () => {
    for (const url of pageUrls) {
      const { html } = await getPage(url);
      const inputIds = [...html.matchAll(/<(?:input|select)\b[^>]*\sid="([^"]+)"/g)].map((match) => match[1]);
      const labelled = new Set([...html.matchAll(/<label\b[^>]*\sfor="([^"]+)"/g)].map((match) => match[1]));
      expect({ url, unlabelled: inputIds.filter((id) => !labelled.has(id)) }).toEqual({ url, unlabelled: [] });
      expect(html.match(/<h1\b/g)).toHaveLength(1);
      expect(html).toContain('id="error" class="notice" role="alert"');
    }
  });

  it("a page is the same for everyone: a signed-in user's keys, TOTP secret and email are never rendered", async () => {
    const user = await registerUser();
    const { key } = await createKey(user.token, { name: "console", scopes: ["read"] });
    const totpSecret = await enrollTwoFactor(user);
    for (const url of pageUrls) {
      const anonymous = await getPage(url);
      const signedIn = await getPage(url, user.token);
      const withoutNonce = (page: { html: string; csp: { nonce?: string } }) =>
        page.html.replaceAll(page.csp.nonce ?? "-", "NONCE");
      expect(withoutNonce(signedIn)).toBe(withoutNonce(anonymous));
      for (const secret of [key, totpSecret, user.email, user.token]) expect(signedIn.html).not.toContain(secret);
    }
  });

  it("the API keeps its own CSP (nothing may run), and console pages are not in /openapi.json", async () => {
    const response = await api("GET", "/openapi.json");
    expect(response.headers.get("Content-Security-Policy")).toBe(
      "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
    );
    const document = (await response.json()) as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((path) => path.startsWith("/console"))).toEqual([]);
  });

  it("pages and the script are admitted like any anonymous request: a blocked address gets none of them", async () => {
    const blocked = await asOperator("POST", "/v1/admin/ip-blocks", { body: { ip: "198.18.16.7", reason: "console" } });
    expect(blocked.status).toBe(201);
    for (const url of [...pageUrls, "/console/assets/console.js", "/docs"]) {
      await expectProblem(await api("GET", url, { ip: "198.18.16.7" }), 403, "ip_blocked");
    }
    expect((await api("GET", "/console/sign-in", { ip: "198.18.16.8" })).status).toBe(200);
  });

  it("a page asked with another method is 405 (the console changes nothing itself: the API does)", async () => {
    const response = await api("POST", "/console/sign-in", { body: "email=a%40b.c&password=x" });
    expect(response.status).toBe(405);
  });
});

// Issue 19: the API reference, rendered by the Worker from the served /openapi.json.
describe("GET /docs: the API reference", () => {
  it("is HTML under the console's strict CSP: one style with this response's fresh nonce, no script, no third party", async () => {
    const seen = new Set<string>();
    for (let round = 0; round < 2; round++) {
      const { response, html, csp } = await getPage("/docs");
      expect(response.status).toBe(200);
      expect(response.headers.get("Content-Type")).toMatch(/^text\/html/);
      expect(response.headers.get("Cache-Control")).toBe("no-store");
      expect(html.startsWith("<!doctype html>")).toBe(true);
      expect(Object.fromEntries(csp.directives)).toEqual({
        "default-src": "'none'",
        "script-src": `'nonce-${csp.nonce}'`,
        "style-src": `'nonce-${csp.nonce}'`,
        "img-src": "'self' data:",
        "connect-src": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "base-uri": "'none'",
      });
      const tags = [...html.matchAll(/<(script|style)\b[^>]*>/g)].map((match) => match[0]);
      expect(tags).toEqual([`<style nonce="${csp.nonce}">`]);
      expect(html).not.toMatch(/\b(?:src|href|action)="(?:https?:)?\/\//);
      expect(html.match(/\son[a-z]+\s*=/gi)).toBeNull();
      seen.add(csp.nonce ?? "");
    }
    expect(seen.size).toBe(2);
  });

  it("shows every operation of /openapi.json at its operationId's anchor, with its route, credentials and error codes", async () => {
    const document = (await (await api("GET", "/openapi.json")).json()) as {
      paths: Record<
        string,
        Record<
          string,
          {
            operationId: string;
            responses: Record<string, { content?: Record<string, { examples?: Record<string, unknown> }> }>;
          }
        >
      >;
    };
    const { html } = await getPage("/docs");
    const sections = new Map(
      html
        .split('<section class="operation" id="')
        .slice(1)
        .map((part) => [part.slice(0, part.indexOf('"')), part]),
    );
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ path, method, operation })),
    );
    expect(operations.length).toBeGreaterThanOrEqual(80);
    expect([...sections.keys()].sort()).toEqual(operations.map(({ operation }) => operation.operationId).sort());
    for (const { path, method, operation } of operations) {
      const section = sections.get(operation.operationId) ?? "";
      expect(section).toContain(`href="#${operation.operationId}"`);
      expect(section).toContain(`>${method.toUpperCase()}</span>`);
      expect(section).toContain(`<code>${path}</code>`);
      const codes = Object.values(operation.responses).flatMap((response) =>
        Object.keys(response.content?.["application/problem+json"]?.examples ?? {}),
      );
      for (const code of codes)
        expect({ id: operation.operationId, code, shown: section.includes(`<code>${code}</code>`) }).toMatchObject({
          shown: true,
        });
    }
    // The contents link to every operation, and the limits are stated.
    for (const id of sections.keys()) expect(html).toContain(`<a href="#${id}">`);
    expect(html).toContain('id="limits"');
    expect(html).toMatch(/1000 per client IP/);
    expect(html).toMatch(/64 KiB/);
    // An API-key route says which scope it takes; an account route that it takes no key.
    expect(sections.get("updateImage")).toContain("API key with scope manage");
    expect(sections.get("createApiKey")).not.toContain("API key with scope");
  });
});

describe("the console's browser script", () => {
  it("is served as JavaScript under the console's CSP, and never writes HTML from data", async () => {
    const response = await api("GET", "/console/assets/console.js");
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Type")).toBe("text/javascript; charset=utf-8");
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    expect(await response.text()).toBe(consoleScript);
    // textContent and DOM calls only: none of the ways a string becomes markup or code.
    expect(consoleScript).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/);
  });

  it("sends the CSRF header on every non-GET call, and signs in with a cookie session", () => {
    expect(consoleScript).toContain('headers["X-CSRF-Token"] = token');
    expect(consoleScript).toContain('credentials: "same-origin"');
    expect(consoleScript.match(/session: "cookie"/g)?.length).toBe(3); // login, login/mfa, register
  });
});

describe("POST /v1/me/2fa/totp: the QR code", () => {
  it("is an SVG data URI of the otpauth:// URI, drawn on the server, with nothing in it that runs or loads", async () => {
    const user = await registerUser();
    const response = await api("POST", "/v1/me/2fa/totp", { token: user.token, body: { password: user.password } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { secret: string; otpauthUri: string; qrCodeSvgDataUri: string };
    expect(body.otpauthUri).toMatch(/^otpauth:\/\/totp\//);
    const prefix = "data:image/svg+xml;base64,";
    expect(body.qrCodeSvgDataUri.startsWith(prefix)).toBe(true);
    const svg = atob(body.qrCodeSvgDataUri.slice(prefix.length));
    expect(svg).toMatch(/^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*viewBox="0 0 \d+ \d+"/);
    expect(svg.trim().endsWith("</svg>")).toBe(true);
    expect(svg).not.toMatch(/<script|\son[a-z]+=|href=|<foreignObject/i);
    // QR encoding is deterministic: this is the code of exactly this URI (secret included).
    expect(body.qrCodeSvgDataUri).toBe(qrCodeSvgDataUri(body.otpauthUri));
  });
});
