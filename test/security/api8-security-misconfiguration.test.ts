// OWASP API8:2023 security misconfiguration; ASVS 5.0 V3.4 (browser security headers), V4.1
// (HTTP methods and content types), V16.5 (errors: no stack trace, SQL or internals).
// Every registered route, and every status the edge can answer with, carries the security
// headers; unknown and dangerous methods get 405; CORS trusts only the listed origins.
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { endpoints } from "../../src/routes/index";
import { api, env, expectProblem, randomIp, registerUser } from "../helpers/api";
import { deployedSettings, fetchWithEnv } from "../helpers/custom-env";
import { createImage } from "../helpers/fixtures";

const SECURITY_HEADERS: Record<string, string | RegExp> = {
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
  "Content-Security-Policy": /^default-src 'none'; .*frame-ancestors 'none'/,
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Cache-Control": "no-store",
  "X-Request-Id": /^req_[A-Za-z0-9_-]{16}$/,
};

/** Internals an error body must never show: stack frames, SQL, driver or runtime names. */
const INTERNALS =
  /\bat \S+ \(|\.ts:\d+|SQLITE|D1_|\bSELECT\b|\bINSERT\b|\bUPDATE\b.*\bSET\b|drizzle|workerd|TypeError/i;

async function expectHardened(response: Response) {
  const found = Object.fromEntries(Object.keys(SECURITY_HEADERS).map((name) => [name, response.headers.get(name)]));
  for (const [name, expected] of Object.entries(SECURITY_HEADERS)) {
    if (typeof expected === "string") expect(found[name], name).toBe(expected);
    else expect(found[name], name).toMatch(expected);
  }
  expect(response.headers.get("Server") ?? "").not.toMatch(/\d/);
  expect(response.headers.get("X-Powered-By")).toBeNull();
  if (response.status >= 400) {
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    // The request id is random base64url: by chance it can spell "D1_" or "TypeError".
    const body = (await response.text()).replace(/"requestId":"[\w-]+"/, "");
    expect(body).not.toMatch(INTERNALS);
  }
}

const concretePath = (path: string) => path.replaceAll(/{(\w+)}/g, (_match, name: string) => `${name}_probe`);

describe("every registered route, asked anonymously", () => {
  for (const { route } of endpoints) {
    const method = route.method.toUpperCase();
    it(`${method} ${route.path} answers with the security headers and a clean body`, async () => {
      const body = ["POST", "PUT", "PATCH", "DELETE"].includes(method) ? {} : undefined;
      const response = await api(method, concretePath(route.path), { body });
      await expectHardened(response);
    });
  }
});

describe("every kind of status carries the security headers and shows no internals", () => {
  const statuses: [string, number, () => Promise<Response>][] = [
    ["200 JSON", 200, () => api("GET", "/health")],
    [
      "200 image bytes",
      200,
      async () => {
        const user = await registerUser();
        const image = await createImage(user.token);
        return api("GET", `/v1/images/${image.id}/content`, { token: user.token });
      },
    ],
    [
      "201",
      201,
      async () => api("POST", "/v1/collections", { token: (await registerUser()).token, body: { name: "c" } }),
    ],
    ["204", 204, async () => api("POST", "/v1/auth/logout", { token: (await registerUser()).token })],
    ["400", 400, () => api("POST", "/v1/auth/login", { body: { email: 1 } })],
    ["401", 401, () => api("GET", "/v1/me")],
    ["404", 404, () => api("GET", "/no/such/path")],
    ["405", 405, () => api("PUT", "/health")],
    ["413", 413, () => api("POST", "/v1/auth/login", { body: `{"email":"${"a".repeat(70_000)}"}` })],
    ["415", 415, () => api("POST", "/v1/auth/login", { body: "a=b", headers: { "Content-Type": "text/plain" } })],
    [
      "429",
      429,
      async () => {
        const ip = randomIp();
        const guess = { email: "nobody@example.com", password: "wrong-password-guess" };
        for (let attempt = 0; attempt < 6; attempt++) await api("POST", "/v1/auth/login", { ip, body: guess });
        return api("POST", "/v1/auth/login", { ip, body: guess });
      },
    ],
    [
      "500 (misconfigured)",
      500,
      () => fetchWithEnv({ JWT_SECRET: "short" }, new Request("https://edge.test/health", { headers: ip() })),
    ],
    [
      "503 (a guard failing inside)",
      503,
      async () => {
        const address = randomIp();
        // A guard has tables once it has stored something: one counted request.
        await api("GET", "/v1/no-such-route", { ip: address });
        await runInDurableObject(env.IP_GUARD.get(env.IP_GUARD.idFromName(address)), (_instance, state) => {
          state.storage.sql.exec("DROP TABLE unauthenticated_window");
        });
        return api("GET", "/v1/no-such-route", { ip: address });
      },
    ],
  ];

  for (const [label, status, send] of statuses) {
    it(label, async () => {
      const response = await send();
      expect(response.status).toBe(status);
      await expectHardened(response);
    });
  }
});

function ip() {
  return { "CF-Connecting-IP": randomIp() };
}

describe("methods", () => {
  // The methods workerd lets through to a Worker. It refuses other names (TRACK, DEBUG, made-up
  // ones) with 501 before any code runs; test/scan/methods.mjs checks those over real HTTP.
  it.each(["TRACE", "PROPFIND", "COPY", "MOVE", "LOCK"])("%s on a known path is 405 with Allow", async (method) => {
    const response = await fetchWithEnv({}, new Request("https://edge.test/v1/me", { method, headers: ip() }));
    expect(response.status).toBe(405);
    expect(response.headers.get("Allow")).toBe("GET, HEAD, PATCH, OPTIONS");
    await expectHardened(response);
  });

  it("HEAD of a GET route answers its headers and no body", async () => {
    const response = await api("HEAD", "/health");
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
    await expectHardened(response);
  });
});

describe("CORS in production", () => {
  const production = { ...deployedSettings, ENVIRONMENT: "production", ALLOWED_ORIGINS: "https://app.imagebot.test" };
  const send = (origin: string, method = "GET", extra: Record<string, string> = {}) =>
    fetchWithEnv(
      production,
      new Request("https://edge.test/v1/me", { method, headers: { Origin: origin, ...ip(), ...extra } }),
    );

  it.each([
    ["an allowed origin", "https://app.imagebot.test", "https://app.imagebot.test"],
    ["another origin", "https://evil.example", null],
    ["the null origin (sandboxed frames, file: pages)", "null", null],
    ["a suffix trick", "https://app.imagebot.test.evil.example", null],
    ["a prefix trick", "https://evilapp.imagebot.test", null],
    ["another scheme", "http://app.imagebot.test", null],
  ])("%s gets Access-Control-Allow-Origin %s, with credentials only then", async (_label, origin, allowed) => {
    for (const response of [
      await send(origin),
      await send(origin, "OPTIONS", { "Access-Control-Request-Method": "DELETE" }),
    ]) {
      expect(response.headers.get("Access-Control-Allow-Origin")).toBe(allowed);
      // Only a listed origin may use the session cookie (API.md "Browser sessions"); never with `*`.
      expect(response.headers.get("Access-Control-Allow-Credentials")).toBe(allowed ? "true" : null);
      expect(response.headers.get("Set-Cookie")).toBeNull();
    }
  });
});

describe("a configuration that would strand mail", () => {
  it("MAIL_TRANSPORT=http without MAIL_HTTP_TOKEN refuses every request with 500, naming the settings in the log", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const response = await fetchWithEnv(
        { MAIL_TRANSPORT: "http", MAIL_HTTP_URL: "https://mail.example/emails", MAIL_HTTP_TOKEN: undefined },
        new Request("https://edge.test/health", { headers: ip() }),
      );
      await expectProblem(response, 500, "server_misconfigured");
      expect(logged.mock.calls.flat().join("\n")).toContain("MAIL_HTTP_TOKEN");
    } finally {
      logged.mockRestore();
    }
  });
});

describe("alert settings that would let alerts be forged or read (issue 18)", () => {
  const deployed = { ...deployedSettings, ENVIRONMENT: "production", ALLOWED_ORIGINS: "https://a.test" };
  const secret = "an-alert-signing-secret-of-32-bytes-or-more";
  it.each([
    [
      "a webhook without its signing secret",
      { ALERT_WEBHOOK_URL: "https://hooks.example/alerts" },
      "ALERT_WEBHOOK_SECRET",
    ],
    [
      "a plain-HTTP webhook",
      { ALERT_WEBHOOK_URL: "http://hooks.example/alerts", ALERT_WEBHOOK_SECRET: secret },
      "https",
    ],
    [
      "a short signing secret",
      { ALERT_WEBHOOK_URL: "https://hooks.example/a", ALERT_WEBHOOK_SECRET: "short" },
      "ALERT_WEBHOOK_SECRET",
    ],
    ["a threshold of 0", { ALERT_FAILED_LOGINS_PER_MINUTE: "0" }, "ALERT_FAILED_LOGINS_PER_MINUTE"],
    ["a threshold that is not a number", { ALERT_NETWORK_ACCOUNTS: "ten" }, "ALERT_NETWORK_ACCOUNTS"],
  ])("%s: every request is refused with 500, and the log names the setting", async (_label, overrides, named) => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const response = await fetchWithEnv(
        { ...deployed, ...overrides },
        new Request("https://edge.test/health", { headers: ip() }),
      );
      await expectProblem(response, 500, "server_misconfigured");
      expect(logged.mock.calls.flat().join("\n")).toContain(named);
    } finally {
      logged.mockRestore();
    }
  });

  it("a signed https webhook is served; so is an unsigned local receiver in development", async () => {
    const health = (overrides: Record<string, unknown>) =>
      fetchWithEnv(overrides, new Request("https://edge.test/health", { headers: ip() }));
    const signed = { ALERT_WEBHOOK_URL: "https://hooks.example/alerts", ALERT_WEBHOOK_SECRET: secret };
    expect((await health({ ...deployed, ...signed, ALERT_KEY_REJECTIONS_PER_MINUTE: "20" })).status).toBe(200);
    expect((await health({ ALERT_WEBHOOK_URL: "http://127.0.0.1:9999/alerts" })).status).toBe(200);
  });
});

describe("a transport without its mail queue", () => {
  it("MAIL_TRANSPORT=send_email without the MAIL_QUEUE binding refuses every request with 500, naming the binding", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const response = await fetchWithEnv(
        { MAIL_TRANSPORT: "send_email", SEND_EMAIL: { send: () => Promise.resolve() }, MAIL_QUEUE: undefined },
        new Request("https://edge.test/health", { headers: ip() }),
      );
      await expectProblem(response, 500, "server_misconfigured");
      expect(logged.mock.calls.flat().join("\n")).toContain("MAIL_QUEUE");
    } finally {
      logged.mockRestore();
    }
  });
});

describe("a deployment without its passkey settings (issue 17)", () => {
  it.each([
    ["no WEBAUTHN_RP_ID (passkeys would be bound to localhost)", { WEBAUTHN_RP_ID: undefined }, "WEBAUTHN_RP_ID"],
    ["no WEBAUTHN_ORIGINS", { WEBAUTHN_ORIGINS: undefined }, "WEBAUTHN_ORIGINS"],
    ["an IP address as the RP ID (never valid in WebAuthn)", { WEBAUTHN_RP_ID: "203.0.113.7" }, "WEBAUTHN_RP_ID"],
  ])("%s: every request is refused with 500, and the log names the setting", async (_label, overrides, named) => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const settings = {
        ...deployedSettings,
        ENVIRONMENT: "production",
        ALLOWED_ORIGINS: "https://a.test",
        ...overrides,
      };
      const response = await fetchWithEnv(settings, new Request("https://edge.test/health", { headers: ip() }));
      await expectProblem(response, 500, "server_misconfigured");
      expect(logged.mock.calls.flat().join("\n")).toContain(named);
    } finally {
      logged.mockRestore();
    }
  });
});

describe("a deployment that would serve fake images", () => {
  const health = (overrides: Record<string, unknown>) =>
    fetchWithEnv(overrides, new Request("https://edge.test/health", { headers: ip() }));

  it.each([
    ["production with the local renderer", { ENVIRONMENT: "production", IMAGE_GENERATOR: "local" }, "IMAGE_GENERATOR"],
    ["staging with no generator set", { ENVIRONMENT: "staging", IMAGE_GENERATOR: undefined }, "IMAGE_GENERATOR"],
    ["workers-ai without the AI binding", { ENVIRONMENT: "production", IMAGE_GENERATOR: "workers-ai" }, "AI binding"],
  ])("%s: every request is refused with 500, and the log names the setting", async (_label, overrides, named) => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      await expectProblem(
        await health({
          ALLOWED_ORIGINS: "https://app.imagebot.test",
          // Set, so that only the generator's settings are at fault.
          WEBAUTHN_RP_ID: deployedSettings.WEBAUTHN_RP_ID,
          WEBAUTHN_ORIGINS: deployedSettings.WEBAUTHN_ORIGINS,
          ...overrides,
        }),
        500,
        "server_misconfigured",
      );
      expect(logged.mock.calls.flat().join("\n")).toContain(named);
    } finally {
      logged.mockRestore();
    }
  });

  it("answers when a deployment has Workers AI", async () => {
    expect(
      (await health({ ...deployedSettings, ENVIRONMENT: "production", ALLOWED_ORIGINS: "https://a.test" })).status,
    ).toBe(200);
  });
});
