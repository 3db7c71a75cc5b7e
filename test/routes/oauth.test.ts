import { env } from "cloudflare:workers";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { forgetDiscoveries } from "../../src/services/oauth/oidc";
import { api, randomIp, registerUser, uniqueEmail } from "../helpers/api";
import { fetchWithEnv } from "../helpers/custom-env";
import { type FakeProviders, fakeProviders, PROVIDER_SETTINGS } from "../helpers/fake-providers";
import {
  type Browser,
  browse,
  consoleAction,
  csrfTokenOf,
  locationOf,
  newBrowser,
  passwordSignIn,
  returnFromProvider,
  setCookieLine,
  startSignIn,
} from "../helpers/oauth-browser";
import { asOperator } from "../helpers/operator";
import { waitForMail } from "../helpers/outbox";
import { codeAt, turnOnTwoFactor } from "../helpers/totp";

let providers: FakeProviders;
beforeAll(async () => {
  providers = await fakeProviders();
});
afterAll(() => providers.restore());
beforeEach(() => {
  providers.requests.length = 0;
  providers.state.down = false;
});

const CALLBACK = (provider: string) => `http://127.0.0.1:8787/v1/auth/oauth/${provider}/callback`;
const newSubject = () => String(Math.floor(Math.random() * 1e12));
const account = (overrides: Partial<{ subject: string; email: string; emailVerified: boolean }> = {}) => ({
  subject: newSubject(),
  email: uniqueEmail("provider"),
  emailVerified: true,
  name: "Ada Provider",
  ...overrides,
});

async function s256(verifier: string) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return btoa(String.fromCharCode(...new Uint8Array(digest)))
    .replaceAll("+", "-")
    .replaceAll("/", "_")
    .replace(/=+$/, "");
}

/** A whole sign-in at `provider` in `browser`; returns the callback's answer. */
async function signInWith(browser: Browser, provider: string, who = account(), returnTo?: string) {
  const url = await startSignIn(browser, provider, returnTo);
  return returnFromProvider(browser, provider, url, providers.approve(url, who));
}

async function me(browser: Browser) {
  const response = await browse(browser, "GET", "/v1/me");
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** No provider configured (the pool's default settings turn GitHub on). */
const disabled = { GITHUB_CLIENT_ID: undefined, GITHUB_CLIENT_SECRET: undefined };

const tokenRequests = () => providers.requests.filter((request) => request.method === "POST");

describe("providers are configured by their settings", () => {
  it("GET /v1/auth/providers lists exactly the providers that have settings", async () => {
    const all = await browse(newBrowser(), "GET", "/v1/auth/providers");
    expect(await all.json()).toEqual({
      data: [
        { id: "github", name: "GitHub" },
        { id: "google", name: "Google" },
        { id: "oidc", name: "Example ID" },
      ],
      nextCursor: null,
    });
    const firstTwo = await browse(newBrowser(), "GET", "/v1/auth/providers?limit=2");
    expect(await firstTwo.json()).toMatchObject({ data: [{ id: "github" }, { id: "google" }], nextCursor: "google" });
    const rest = await browse(newBrowser(), "GET", "/v1/auth/providers?limit=2&cursor=google");
    expect(await rest.json()).toEqual({ data: [{ id: "oidc", name: "Example ID" }], nextCursor: null });
    const oidcOnly = await browse(newBrowser(), "GET", "/v1/auth/providers", {
      settings: {
        ...disabled,
        OIDC_ISSUER: PROVIDER_SETTINGS.OIDC_ISSUER,
        OIDC_CLIENT_ID: PROVIDER_SETTINGS.OIDC_CLIENT_ID,
        OIDC_CLIENT_SECRET: PROVIDER_SETTINGS.OIDC_CLIENT_SECRET,
      },
    });
    expect(await oidcOnly.json()).toEqual({ data: [{ id: "oidc", name: "OpenID Connect" }], nextCursor: null });
    const none = await browse(newBrowser(), "GET", "/v1/auth/providers", {
      settings: { GITHUB_CLIENT_ID: undefined, GITHUB_CLIENT_SECRET: undefined },
    });
    expect(await none.json()).toEqual({ data: [], nextCursor: null });
  });

  it("a provider without settings has no routes: start, callback and link answer 404", async () => {
    const browser = newBrowser();
    for (const path of ["/v1/auth/oauth/github/start", "/v1/auth/oauth/github/callback?code=x&state=y"]) {
      const response = await browse(browser, "GET", path, { settings: disabled });
      expect(response.status).toBe(404);
    }
    const unknown = await browse(browser, "GET", "/v1/auth/oauth/twitter/start");
    expect(unknown.status).toBe(404);
    const user = await registerUser();
    await passwordSignIn(browser, user.email, user.password);
    const link = await browse(browser, "POST", "/v1/me/identities/google/link", {
      settings: disabled,
      headers: { "X-CSRF-Token": await csrfTokenOf(browser) },
    });
    expect(link.status).toBe(404);
  });

  it("setting a client id without its secret is a configuration error, not a half-enabled provider", async () => {
    const response = await fetchWithEnv(
      { GITHUB_CLIENT_SECRET: undefined },
      new Request("https://edge.test/v1/auth/providers", { headers: { "CF-Connecting-IP": randomIp() } }),
    );
    expect(response.status).toBe(500);
  });
});

describe("GitHub", () => {
  it("start sends state and a PKCE S256 challenge, and binds the flow to the browser with a __Host- Lax cookie", async () => {
    const browser = newBrowser();
    const response = await browse(browser, "GET", "/v1/auth/oauth/github/start?returnTo=%2Fconsole%2Fkeys");
    expect(response.status).toBe(302);
    const url = new URL(locationOf(response));
    expect(`${url.origin}${url.pathname}`).toBe("https://github.com/login/oauth/authorize");
    expect(Object.fromEntries(url.searchParams)).toMatchObject({
      response_type: "code",
      client_id: PROVIDER_SETTINGS.GITHUB_CLIENT_ID,
      redirect_uri: CALLBACK("github"),
      code_challenge_method: "S256",
    });
    expect(url.searchParams.get("state")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("code_challenge")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const cookie = setCookieLine(response, "__Host-imagebot_oauth") ?? "";
    expect(cookie).toMatch(/; HttpOnly/);
    expect(cookie).toMatch(/; Secure/);
    expect(cookie).toMatch(/; SameSite=Lax/);
    expect(cookie).toMatch(/; Path=\//);
    expect(cookie).toMatch(/; Max-Age=600/);
    expect(cookie).not.toMatch(/Domain=/i);
    // Only hashes are stored: neither the state nor the cookie's value is in the table.
    const rows = await env.DB.prepare("SELECT * FROM oauth_states").all();
    expect(JSON.stringify(rows.results)).not.toContain(url.searchParams.get("state"));
    expect(JSON.stringify(rows.results)).not.toContain(browser.cookies.get("__Host-imagebot_oauth"));
  });

  it("an unknown identity with a verified primary email gets a new account, signed in with a cookie", async () => {
    const browser = newBrowser();
    const who = account();
    const url = await startSignIn(browser, "github", "/console/keys");
    const response = await returnFromProvider(browser, "github", url, providers.approve(url, who));
    expect(response.status).toBe(302);
    expect(locationOf(response)).toBe("/console/keys");
    expect(setCookieLine(response, "__Host-imagebot_session")).toMatch(/HttpOnly; Secure; SameSite=Strict/);

    // The exact token request: client authentication, the redirect URI, and the PKCE verifier
    // whose S256 hash is the challenge sent to GitHub.
    const [tokenRequest] = tokenRequests();
    expect(tokenRequest?.url).toBe("https://github.com/login/oauth/access_token");
    expect(tokenRequest?.headers.authorization).toBe(
      `Basic ${btoa(`${PROVIDER_SETTINGS.GITHUB_CLIENT_ID}:${PROVIDER_SETTINGS.GITHUB_CLIENT_SECRET}`)}`,
    );
    const form = new URLSearchParams(tokenRequest?.body);
    expect(form.get("grant_type")).toBe("authorization_code");
    expect(form.get("redirect_uri")).toBe(CALLBACK("github"));
    expect(await s256(form.get("code_verifier") ?? "")).toBe(url.searchParams.get("code_challenge"));
    expect(form.get("client_secret")).toBeNull();
    const apiCalls = providers.requests.filter((request) => request.url.startsWith("https://api.github.com/"));
    expect(apiCalls.map((request) => request.url)).toEqual([
      "https://api.github.com/user",
      "https://api.github.com/user/emails",
    ]);

    const profile = await me(browser);
    expect(profile.body).toMatchObject({ email: who.email, emailVerified: true, name: "Ada Provider" });
    const sessions = await browse(browser, "GET", "/v1/sessions");
    const listed = (await sessions.json()) as { data: { current: boolean; signInMethod: string; kind: string }[] };
    expect(listed.data.find((session) => session.current)).toMatchObject({
      kind: "cookie",
      signInMethod: "oauth:github",
    });
    // The account has no password anyone knows: password sign-in fails like a wrong password.
    const passwordLogin = await api("POST", "/v1/auth/login", {
      body: { email: who.email, password: "guess-it-1234" },
    });
    expect(passwordLogin.status).toBe(401);

    // The same GitHub account signs in to the same user next time.
    const again = newBrowser();
    const second = await signInWith(again, "github", who);
    expect(locationOf(second)).toBe("/console");
    expect((await me(again)).body.id).toBe(profile.body.id);
  });

  it("a replayed state is refused (single use): the second callback exchanges no code", async () => {
    const browser = newBrowser();
    const url = await startSignIn(browser, "github");
    const code = providers.approve(url, account());
    expect(locationOf(await returnFromProvider(browser, "github", url, code))).toBe("/console");
    browser.cookies.delete("__Host-imagebot_session");
    providers.requests.length = 0;
    const replay = await returnFromProvider(browser, "github", url, code);
    expect(replay.status).toBe(302);
    expect(locationOf(replay)).toBe("/console/sign-in?error=invalid_state");
    expect(setCookieLine(replay, "__Host-imagebot_session")).toBeUndefined();
    expect(providers.requests).toEqual([]);
  });

  it("a state from another browser is refused, and is used up by the attempt", async () => {
    const victim = newBrowser();
    const attacker = newBrowser();
    const url = await startSignIn(attacker, "github");
    const code = providers.approve(url, account());
    // Login CSRF: the attacker's own callback URL, opened in the victim's browser.
    const planted = await returnFromProvider(victim, "github", url, code);
    expect(locationOf(planted)).toBe("/console/sign-in?error=invalid_state");
    expect(setCookieLine(planted, "__Host-imagebot_session")).toBeUndefined();
    expect(tokenRequests()).toEqual([]);
    const own = await returnFromProvider(attacker, "github", url, code);
    expect(locationOf(own)).toBe("/console/sign-in?error=invalid_state");
  });

  it("an expired state (older than 10 minutes) is refused", async () => {
    const browser = newBrowser();
    const url = await startSignIn(browser, "github");
    await env.DB.prepare("UPDATE oauth_states SET expires_at = ?")
      .bind(Date.now() - 1)
      .run();
    const response = await returnFromProvider(browser, "github", url, providers.approve(url, account()));
    expect(locationOf(response)).toBe("/console/sign-in?error=invalid_state");
    expect(tokenRequests()).toEqual([]);
  });

  it("an unverified primary email creates nothing (a verified secondary one does not count)", async () => {
    const browser = newBrowser();
    const who = account({ emailVerified: false });
    const response = await signInWith(browser, "github", who);
    expect(locationOf(response)).toBe("/console/sign-in?error=email_unverified");
    const row = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(who.email).first();
    expect(row).toBeNull();
  });

  it("the email of an existing account is never linked automatically: account_exists, audited", async () => {
    const owner = await registerUser();
    const browser = newBrowser();
    const response = await signInWith(browser, "github", account({ email: owner.email }));
    expect(locationOf(response)).toBe("/console/sign-in?error=account_exists");
    expect(setCookieLine(response, "__Host-imagebot_session")).toBeUndefined();
    const identities = await env.DB.prepare("SELECT count(*) AS n FROM user_identities WHERE user_id = ?")
      .bind(owner.id)
      .first<{ n: number }>();
    expect(identities?.n).toBe(0);
    const audit = await env.DB.prepare("SELECT metadata FROM audit_log WHERE type = 'auth.oauth_failed' AND ip = ?")
      .bind(browser.ip)
      .first<{ metadata: string }>();
    expect(JSON.parse(audit?.metadata ?? "{}")).toMatchObject({ provider: "github", reason: "account_exists" });
  });

  it("a provider that refuses the code (or a wrong verifier) ends in code_exchange_failed", async () => {
    const browser = newBrowser();
    const url = await startSignIn(browser, "github");
    const response = await returnFromProvider(browser, "github", url, "code-the-provider-never-issued");
    expect(locationOf(response)).toBe("/console/sign-in?error=code_exchange_failed");
  });

  it("a denied authorization (error=access_denied) is a failure too", async () => {
    const browser = newBrowser();
    const url = await startSignIn(browser, "github");
    const state = url.searchParams.get("state") ?? "";
    const response = await browse(browser, "GET", `/v1/auth/oauth/github/callback?error=access_denied&state=${state}`);
    expect(locationOf(response)).toBe("/console/sign-in?error=provider_denied");
  });

  it("a throttled address is refused before any code is exchanged", async () => {
    const browser = newBrowser();
    // One failure sets a backoff of 2 s on the address (API.md "Login").
    const bad = await browse(browser, "GET", "/v1/auth/oauth/github/callback?code=x&state=forged-state");
    expect(locationOf(bad)).toBe("/console/sign-in?error=invalid_state");
    const url = await startSignIn(browser, "github");
    const response = await returnFromProvider(browser, "github", url, providers.approve(url, account()));
    expect(locationOf(response)).toBe("/console/sign-in?error=too_many_attempts");
    expect(tokenRequests()).toEqual([]);
  });
});

describe("returnTo is a console path or nothing", () => {
  const refused = [
    "https://evil.example/console",
    "//evil.example/console",
    "/\\evil.example",
    "/console//evil.example",
    "/console\\..\\x",
    "/consolex",
    "/console/%2f%2fevil.example",
    "/console/..%2F..%2F",
    "/console/../v1/me",
    "javascript:alert(1)",
    "/console/\tx",
    "console",
    "",
  ];
  it.each(refused)("refuses %j with 400 and starts nothing", async (returnTo) => {
    const response = await browse(
      newBrowser(),
      "GET",
      `/v1/auth/oauth/github/start?returnTo=${encodeURIComponent(returnTo)}`,
    );
    expect(response.status).toBe(400);
    expect(response.headers.get("Location")).toBeNull();
  });

  it("accepts a console page with a query, and the callback lands exactly there", async () => {
    const browser = newBrowser();
    const response = await signInWith(browser, "github", account(), "/console/teams?tab=members");
    expect(locationOf(response)).toBe("/console/teams?tab=members");
  });
});

describe("Google (OIDC)", () => {
  it("signs up with a verified ID token; the request carries PKCE, the nonce and Google's client", async () => {
    const browser = newBrowser();
    const who = account();
    const url = await startSignIn(browser, "google");
    expect(`${url.origin}${url.pathname}`).toBe("https://accounts.google.com/o/oauth2/v2/auth");
    expect(url.searchParams.get("nonce")).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(url.searchParams.get("code_challenge_method")).toBe("S256");
    expect(url.searchParams.get("scope")).toBe("openid email profile");
    const response = await returnFromProvider(browser, "google", url, providers.approve(url, who));
    expect(locationOf(response)).toBe("/console");
    const [tokenRequest] = tokenRequests();
    expect(tokenRequest?.url).toBe("https://oauth2.googleapis.com/token");
    const form = new URLSearchParams(tokenRequest?.body);
    expect(form.get("redirect_uri")).toBe(CALLBACK("google"));
    expect(await s256(form.get("code_verifier") ?? "")).toBe(url.searchParams.get("code_challenge"));
    expect((await me(browser)).body).toMatchObject({ email: who.email, emailVerified: true });
  });

  const spoiled = [
    ["a wrong nonce", { nonce: "nonce-of-another-flow" }, "invalid_id_token"],
    ["another audience", { audience: "someone-elses-client" }, "invalid_id_token"],
    ["another issuer", { issuer: "https://evil.example" }, "invalid_id_token"],
    ["a signature by a key not in the JWKS", { foreignKey: true }, "invalid_id_token"],
    ["an expired token", { expired: true }, "invalid_id_token"],
    ['email_verified "true" (a string)', { claims: { email_verified: "true" } }, "email_unverified"],
  ] as const;
  it.each(spoiled)("refuses an ID token with %s", async (_label, tampering, code) => {
    const browser = newBrowser();
    const who = account();
    const url = await startSignIn(browser, "google");
    const response = await returnFromProvider(browser, "google", url, providers.approve(url, who, tampering));
    expect(locationOf(response)).toBe(`/console/sign-in?error=${code}`);
    expect(setCookieLine(response, "__Host-imagebot_session")).toBeUndefined();
    const row = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(who.email).first();
    expect(row).toBeNull();
  });
});

describe("any OpenID provider (OIDC_ISSUER)", () => {
  it("reads the discovery document, signs up, and checks the nonce", async () => {
    const browser = newBrowser();
    const url = await startSignIn(browser, "oidc");
    expect(`${url.origin}${url.pathname}`).toBe("https://idp.example/authorize");
    expect(url.searchParams.get("client_id")).toBe(PROVIDER_SETTINGS.OIDC_CLIENT_ID);
    const response = await returnFromProvider(browser, "oidc", url, providers.approve(url, account()));
    expect(locationOf(response)).toBe("/console");
    const [tokenRequest] = tokenRequests();
    expect(tokenRequest?.url).toBe("https://idp.example/token");
    expect(tokenRequest?.headers.authorization).toBe(
      `Basic ${btoa(`${PROVIDER_SETTINGS.OIDC_CLIENT_ID}:${PROVIDER_SETTINGS.OIDC_CLIENT_SECRET}`)}`,
    );

    const other = newBrowser();
    const url2 = await startSignIn(other, "oidc");
    const bad = await returnFromProvider(other, "oidc", url2, providers.approve(url2, account(), { nonce: "x" }));
    expect(locationOf(bad)).toBe("/console/sign-in?error=invalid_id_token");
  });

  it("a code sent back with another server's `iss` is refused before any exchange (RFC 9207, mix-up)", async () => {
    const browser = newBrowser();
    const url = await startSignIn(browser, "oidc");
    const mixedUp = await returnFromProvider(
      browser,
      "oidc",
      url,
      providers.approve(url, account()),
      "&iss=https%3A%2F%2Fattacker.example",
    );
    expect(locationOf(mixedUp)).toBe("/console/sign-in?error=invalid_state");
    expect(tokenRequests()).toEqual([]);
    const honest = newBrowser();
    const url2 = await startSignIn(honest, "oidc");
    const iss = `&iss=${encodeURIComponent(PROVIDER_SETTINGS.OIDC_ISSUER)}`;
    const response = await returnFromProvider(honest, "oidc", url2, providers.approve(url2, account()), iss);
    expect(locationOf(response)).toBe("/console");
  });

  it("an issuer that cannot be reached sends the browser back with provider_unavailable, storing nothing", async () => {
    forgetDiscoveries();
    providers.state.down = true;
    const before = await env.DB.prepare("SELECT count(*) AS n FROM oauth_states").first<{ n: number }>();
    const response = await browse(newBrowser(), "GET", "/v1/auth/oauth/oidc/start");
    expect(response.status).toBe(302);
    expect(locationOf(response)).toBe("/console/sign-in?error=provider_unavailable");
    const after = await env.DB.prepare("SELECT count(*) AS n FROM oauth_states").first<{ n: number }>();
    expect(after?.n).toBe(before?.n);
  });
});

describe("linking from the console, and the last way to sign in", () => {
  async function linkFrom(browser: Browser, provider: string, who = account()) {
    const response = await consoleAction(browser, "POST", `/v1/me/identities/${provider}/link`);
    expect(response.status).toBe(200);
    const url = new URL(((await response.json()) as { url: string }).url);
    return returnFromProvider(browser, provider, url, providers.approve(url, who));
  }

  it("a signed-in user links a provider account, which then signs them in", async () => {
    const user = await registerUser();
    const browser = newBrowser();
    await passwordSignIn(browser, user.email, user.password);
    const who = account({ email: uniqueEmail("other-address") });
    const linked = await linkFrom(browser, "github", who);
    expect(locationOf(linked)).toBe("/console/sign-in-methods");
    const list = await browse(browser, "GET", "/v1/me/identities");
    expect(await list.json()).toEqual({
      data: [
        { id: expect.stringMatching(/^idn_/), provider: "github", email: who.email, createdAt: expect.any(String) },
      ],
      nextCursor: null,
    });
    const elsewhere = newBrowser();
    await signInWith(elsewhere, "github", who);
    expect((await me(elsewhere)).body.id).toBe(user.id);
    const mail = await waitForMail(user.email, /new way to sign in/i);
    expect(mail.text).toMatch(/^A GitHub account can now sign in/);
  });

  it("a forced password reset shuts the provider door too: the linked identity no longer signs in", async () => {
    const user = await registerUser();
    const browser = newBrowser();
    await passwordSignIn(browser, user.email, user.password);
    const who = account({ email: uniqueEmail("attacker-linked") });
    await linkFrom(browser, "github", who);
    const forced = await asOperator("POST", `/v1/admin/users/${user.id}/force-password-reset`);
    expect(forced.status).toBe(204);
    const elsewhere = newBrowser();
    const response = await signInWith(elsewhere, "github", who);
    expect(locationOf(response)).toBe("/console/sign-in?error=password_reset_required");
    expect(setCookieLine(response, "__Host-imagebot_session")).toBeUndefined();
    expect((await me(elsewhere)).status).toBe(401);
  });

  it("linking needs the CSRF token (a cookie request from a foreign page is refused)", async () => {
    const user = await registerUser();
    const browser = newBrowser();
    await passwordSignIn(browser, user.email, user.password);
    const forged = await browse(browser, "POST", "/v1/me/identities/github/link", {
      headers: { Origin: "https://evil.example" },
    });
    expect(forged.status).toBe(403);
  });

  it("an identity that belongs to someone else is not moved: identity_taken", async () => {
    const who = account();
    await signInWith(newBrowser(), "github", who);
    const user = await registerUser();
    const browser = newBrowser();
    await passwordSignIn(browser, user.email, user.password);
    const response = await linkFrom(browser, "github", who);
    expect(locationOf(response)).toBe("/console/sign-in-methods?error=identity_taken");
  });

  it("removing the last way to sign in is 409; with another way it is 204; someone else's is 404", async () => {
    const browser = newBrowser();
    await signInWith(browser, "github");
    const [first] = ((await (await browse(browser, "GET", "/v1/me/identities")).json()) as { data: { id: string }[] })
      .data;
    const last = await consoleAction(browser, "DELETE", `/v1/me/identities/${first?.id}`);
    expect(last.status).toBe(409);
    expect(((await last.json()) as { code: string }).code).toBe("conflict");

    await linkFrom(browser, "google");
    const removed = await consoleAction(browser, "DELETE", `/v1/me/identities/${first?.id}`);
    expect(removed.status).toBe(204);
    const [google] = ((await (await browse(browser, "GET", "/v1/me/identities")).json()) as { data: { id: string }[] })
      .data;
    expect((await consoleAction(browser, "DELETE", `/v1/me/identities/${google?.id}`)).status).toBe(409);

    const stranger = newBrowser();
    const user = await registerUser();
    await passwordSignIn(stranger, user.email, user.password);
    expect((await consoleAction(stranger, "DELETE", `/v1/me/identities/${google?.id}`)).status).toBe(404);
  });

  it("a password user may remove their only identity (the password remains)", async () => {
    const user = await registerUser();
    const browser = newBrowser();
    await passwordSignIn(browser, user.email, user.password);
    await linkFrom(browser, "oidc");
    const [identity] = (
      (await (await browse(browser, "GET", "/v1/me/identities")).json()) as { data: { id: string }[] }
    ).data;
    expect((await consoleAction(browser, "DELETE", `/v1/me/identities/${identity?.id}`)).status).toBe(204);
  });

  it("with 2FA on, the provider is not enough: the console gets an mfaToken in the fragment, no session", async () => {
    const user = await registerUser();
    const secret = await turnOnTwoFactor(user);
    // Linked from a bearer session (an API client may start the flow too; the browser finishes it).
    const browser = newBrowser();
    const started = await browse(browser, "POST", "/v1/me/identities/github/link", {
      headers: { Authorization: `Bearer ${user.token}` },
    });
    expect(started.status).toBe(200);
    const linkUrl = new URL(((await started.json()) as { url: string }).url);
    const who = account();
    const linked = await returnFromProvider(browser, "github", linkUrl, providers.approve(linkUrl, who));
    expect(locationOf(linked)).toBe("/console/sign-in-methods");

    const fresh = newBrowser();
    const response = await signInWith(fresh, "github", who, "/console/keys");
    const location = locationOf(response);
    expect(location.startsWith("/console/sign-in#")).toBe(true);
    expect(setCookieLine(response, "__Host-imagebot_session")).toBeUndefined();
    const fragment = new URLSearchParams(location.split("#")[1]);
    expect(fragment.get("returnTo")).toBe("/console/keys");
    const second = await browse(fresh, "POST", "/v1/auth/login/mfa", {
      body: { mfaToken: fragment.get("mfaToken"), code: codeAt(secret, Date.now() + 30_000), session: "cookie" },
    });
    expect(second.status).toBe(200);
    expect((await me(fresh)).body.id).toBe(user.id);
  });
});

describe("export and erasure cover identities", () => {
  it("the export lists the user's identities; erasing the account removes them and its unfinished link flows", async () => {
    const user = await registerUser();
    const browser = newBrowser();
    await passwordSignIn(browser, user.email, user.password);
    const who = account();
    const started = await consoleAction(browser, "POST", "/v1/me/identities/github/link");
    const url = new URL(((await started.json()) as { url: string }).url);
    await returnFromProvider(browser, "github", url, providers.approve(url, who));
    await consoleAction(browser, "POST", "/v1/me/identities/google/link");

    const exported = await api("GET", "/v1/account/export", { token: user.token });
    const document = (await exported.json()) as {
      user: { hasPassword: boolean };
      identities: { provider: string; subject: string; email: string }[];
      identityLinkFlows: { provider: string }[];
    };
    expect(document.user.hasPassword).toBe(true);
    expect(document.identities).toEqual([
      expect.objectContaining({ provider: "github", subject: who.subject, email: who.email }),
    ]);
    expect(document.identityLinkFlows).toEqual([expect.objectContaining({ provider: "google" })]);

    const erased = await api("DELETE", "/v1/account", { token: user.token, body: { password: user.password } });
    expect(erased.status).toBe(204);
    const left = await env.DB.prepare(
      "SELECT (SELECT count(*) FROM user_identities WHERE user_id = ?1) + (SELECT count(*) FROM oauth_states WHERE link_user_id = ?1) AS n",
    )
      .bind(user.id)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
    // The GitHub account is free again: it now signs up a new account.
    const again = await signInWith(newBrowser(), "github", who);
    expect(locationOf(again)).toBe("/console");
  });
});
