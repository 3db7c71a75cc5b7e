import { describe, expect, it, vi } from "vitest";
import { errorTable } from "../src/errors";
import { endpoints } from "../src/routes/index";
import { api, env, expectProblem, registerUser } from "./helpers/api";
import { deployedSettings, fetchWithEnv } from "./helpers/custom-env";

const SECURITY_HEADERS = {
  "X-Content-Type-Options": "nosniff",
  "X-Frame-Options": "DENY",
  "Referrer-Policy": "strict-origin-when-cross-origin",
  "Permissions-Policy": "geolocation=(), microphone=(), camera=()",
  "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
};

function expectSecurityHeaders(response: Response) {
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) expect(response.headers.get(name)).toBe(value);
  expect(response.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
  expect(response.headers.get("X-Request-Id")).toMatch(/^req_[A-Za-z0-9_-]{16}$/);
}

describe("GET /health and /openapi.json", () => {
  it("health answers ok without credentials", async () => {
    const response = await api("GET", "/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  it("serves an OpenAPI 3.1 document generated from the route schemas", async () => {
    const response = await api("GET", "/openapi.json");
    expect(response.status).toBe(200);
    const document = (await response.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(document.openapi).toBe("3.1.0");
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining(["/v1/auth/register", "/v1/auth/login", "/v1/me", "/v1/sessions/{id}"]),
    );
    expect(JSON.stringify(document.paths["/v1/auth/register"])).toContain("password");
  });
});

// Issue 19: what API clients and their generators read. Redocly's lint of the served document is
// test/e2e/client.test.mjs (its redocly lint); these hold it to the code (policies, the error table).
interface DocumentedResponse {
  description: string;
  content?: Record<string, { examples?: Record<string, { value: { code: string; status: number } }> }>;
}
interface DocumentedOperation {
  operationId?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string }[];
  requestBody?: unknown;
  responses: Record<string, DocumentedResponse>;
}
interface ServedDocument {
  info: { license?: { name: string; identifier?: string; url?: string } };
  servers: { url: string }[];
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, DocumentedOperation>>;
  components: { securitySchemes: Record<string, unknown> };
}

async function servedDocument() {
  const response = await api("GET", "/openapi.json");
  expect(response.status).toBe(200);
  return (await response.json()) as ServedDocument;
}

/** Each documented operation with the endpoint that declares it. */
async function documentedEndpoints() {
  const document = await servedDocument();
  return endpoints.map((endpoint) => {
    const operation = document.paths[endpoint.route.path]?.[endpoint.route.method];
    if (!operation) throw new Error(`${endpoint.route.method} ${endpoint.route.path} is not in the document`);
    return { endpoint, operation, name: `${endpoint.route.method.toUpperCase()} ${endpoint.route.path}` };
  });
}

/** The problem codes a response names (its examples are keyed by code), or null if it is no problem. */
const codesOf = (response: DocumentedResponse | undefined) => {
  const examples = response?.content?.["application/problem+json"]?.examples;
  return examples ? Object.keys(examples) : null;
};

describe("the OpenAPI document (issue 19)", () => {
  it("names every operation with a unique camelCase operationId", async () => {
    const document = await servedDocument();
    const ids = Object.values(document.paths).flatMap((methods) =>
      Object.values(methods).map((operation) => operation.operationId),
    );
    expect(ids.length).toBe(endpoints.length);
    for (const id of ids) expect(id).toMatch(/^[a-z][a-zA-Z0-9]*$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(expect.arrayContaining(["createApiKey", "listSessions", "login", "getHealth"]));
  });

  it("has the servers of wrangler.toml and npm start, a licence, and a described tag for every operation", async () => {
    const document = await servedDocument();
    expect(document.servers.map((server) => server.url)).toEqual([
      "https://imagebot.app",
      "https://staging.imagebot.app",
      "http://127.0.0.1:8787",
    ]);
    expect(document.info.license?.name).toBeTruthy();
    const tags = new Map(document.tags.map((tag) => [tag.name, tag.description]));
    for (const tag of tags.values()) expect(tag.length).toBeGreaterThan(10);
    for (const { name, operation } of await documentedEndpoints()) {
      expect({ name, tags: operation.tags?.filter((tag) => !tags.has(tag)) }).toEqual({ name, tags: [] });
      expect(operation.tags?.length).toBe(1);
    }
  });

  it("asks each operation for the credentials its access policy admits, and no other", async () => {
    for (const { endpoint, operation, name } of await documentedEndpoints()) {
      const schemes = (operation.security ?? []).map((requirement) => Object.keys(requirement).sort().join("+"));
      const expected = {
        public: [],
        development: [],
        operator: ["operatorToken"],
        session: ["bearerAuth", endpoint.route.method === "get" ? "sessionCookie" : "csrfToken+sessionCookie"],
        session_or_key: [
          "bearerAuth",
          endpoint.route.method === "get" ? "sessionCookie" : "csrfToken+sessionCookie",
          "apiKey",
        ],
      }[endpoint.access.auth];
      expect({ name, schemes }).toEqual({ name, schemes: expected });
      if (endpoint.access.auth === "session_or_key") {
        expect(operation.security?.[2]).toEqual({ apiKey: [endpoint.access.scope] });
      }
    }
  });

  it("names every error response with problem codes of its own status, from the one error table", async () => {
    for (const { operation, name } of await documentedEndpoints()) {
      for (const [status, response] of Object.entries(operation.responses)) {
        if (status !== "default" && Number(status) < 400) continue;
        const codes = codesOf(response);
        expect({ name, status, codes: codes?.length ?? 0 }).not.toEqual({ name, status, codes: 0 });
        for (const code of codes ?? []) {
          const entry = errorTable[code as keyof typeof errorTable];
          expect({ name, code, status: entry?.status }).toEqual({
            name,
            code,
            status: status === "default" ? 500 : Number(status),
          });
          expect(response.description).toContain(`\`${code}\``);
        }
      }
    }
  });

  it("lists the errors of the pipeline in front of each handler: credential, block, budget, guards, body", async () => {
    for (const { endpoint, operation, name } of await documentedEndpoints()) {
      const codes = (status: number) => ({ name, status, codes: codesOf(operation.responses[status]) ?? [] });
      const has = (status: number, ...expected: string[]) =>
        expect(codes(status)).toEqual({ name, status, codes: expect.arrayContaining(expected) });
      const { access } = endpoint;
      if (access.auth !== "public" || !access.unmetered) {
        has(403, "ip_blocked");
        has(429, "rate_limited");
        has(503, "unavailable");
      }
      if (access.auth === "session" || access.auth === "session_or_key") {
        has(401, "unauthorized");
        has(403, "forbidden", "ip_not_allowed");
        if (endpoint.route.method !== "get") has(403, "csrf_failed");
      }
      if (access.auth === "operator") has(401, "unauthorized");
      if (operation.requestBody) {
        has(400, "validation_failed");
        has(413, "payload_too_large");
        has(415, "unsupported_media_type");
      }
      if (operation.parameters?.some((parameter) => parameter.in === "query")) has(400, "validation_failed");
      // An id in the path names an object: not found, or someone else's, is 404.
      if (operation.parameters?.some((parameter) => parameter.in === "path" && /id$/i.test(parameter.name))) {
        has(404, "not_found");
      }
      // Every operation succeeds somehow; only the browser redirects of OAuth have no 2xx.
      const successes = Object.keys(operation.responses).filter((status) => /^2\d\d$/.test(status));
      if (!/\/oauth\//.test(endpoint.route.path))
        expect({ name, successes: successes.length > 0 }).toEqual({ name, successes: true });
    }
  });
});

describe("security headers and request ids", () => {
  it.each([
    ["a success", () => api("GET", "/health"), 200],
    ["a 401", () => api("GET", "/v1/me"), 401],
    ["a 404", () => api("GET", "/nope"), 404],
    ["a 405", () => api("DELETE", "/health"), 405],
    ["a 400", () => api("POST", "/v1/auth/login", { body: {} }), 400],
    ["a 415", () => api("POST", "/v1/auth/login", { body: "x", headers: { "Content-Type": "text/plain" } }), 415],
  ])("are on %s", async (_label, send, status) => {
    const response = await send();
    expect(response.status).toBe(status);
    expectSecurityHeaders(response);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
  });

  it("are on an authenticated success", async () => {
    const user = await registerUser();
    expectSecurityHeaders(await api("GET", "/v1/me", { token: user.token }));
  });

  it("gives every response its own id and ignores one sent by the client", async () => {
    const first = await api("GET", "/health", { headers: { "X-Request-Id": "attacker-chosen" } });
    const second = await api("GET", "/health");
    expect(first.headers.get("X-Request-Id")).not.toBe("attacker-chosen");
    expect(first.headers.get("X-Request-Id")).not.toBe(second.headers.get("X-Request-Id"));
  });
});

describe("404 and 405", () => {
  it("answers an unknown path with 404 problem+json", async () => {
    await expectProblem(await api("GET", "/v1/nothing-here"), 404, "not_found");
  });

  it.each([
    ["DELETE", "/v1/me", "GET, HEAD, PATCH, OPTIONS"],
    ["PUT", "/v1/auth/login", "POST, OPTIONS"],
    ["GET", "/v1/sessions/ses_x", "DELETE, OPTIONS"],
  ])("answers %s %s with 405 and Allow", async (method, path, allow) => {
    const response = await api(method, path);
    await expectProblem(response, 405, "method_not_allowed");
    expect(response.headers.get("Allow")).toBe(allow);
  });
});

describe("request bodies", () => {
  it("refuses a non-JSON body with 415", async () => {
    const response = await api("POST", "/v1/auth/register", {
      body: "email=a@b.c&password=12345678",
      headers: { "Content-Type": "application/x-www-form-urlencoded" },
    });
    await expectProblem(response, 415, "unsupported_media_type");
  });

  it("refuses a body over 64 KiB with 413 and stores nothing", async () => {
    const email = "big@example.com";
    const response = await api("POST", "/v1/auth/register", {
      body: { email, password: "long enough", name: "n".repeat(70 * 1024) },
    });
    await expectProblem(response, 413, "payload_too_large");
    const row = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first();
    expect(row).toBeNull();
  });

  it("refuses malformed JSON with 400", async () => {
    await expectProblem(await api("POST", "/v1/auth/login", { body: "{not json" }), 400, "validation_failed");
  });

  it("refuses a JSON body that is not an object with 400", async () => {
    await expectProblem(await api("POST", "/v1/auth/login", { body: "[1,2]" }), 400, "validation_failed");
  });
});

describe("CORS", () => {
  const production = {
    ...deployedSettings,
    ENVIRONMENT: "production",
    ALLOWED_ORIGINS: "https://app.imagebot.test,https://www.imagebot.test",
  };

  const preflight = (origin: string) =>
    new Request("https://edge.test/v1/me", {
      method: "OPTIONS",
      headers: {
        Origin: origin,
        "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "authorization",
      },
    });

  it("allows any origin in development", async () => {
    const response = await api("GET", "/health", { headers: { Origin: "http://localhost:5173" } });
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("*");
  });

  it("in production answers a listed origin's preflight with the contract's methods, headers and max-age", async () => {
    const response = await fetchWithEnv(production, preflight("https://app.imagebot.test"));
    expect(response.status).toBe(204);
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://app.imagebot.test");
    expect(response.headers.get("Access-Control-Allow-Methods")).toBe("GET,POST,PUT,PATCH,DELETE,OPTIONS");
    // X-CSRF-Token: a listed frontend may use the cookie session (API.md "Browser sessions").
    expect(response.headers.get("Access-Control-Allow-Headers")).toBe("Content-Type,Authorization,X-CSRF-Token");
    expect(response.headers.get("Access-Control-Max-Age")).toBe("86400");
  });

  it.each(["https://evil.example", "null", "https://app.imagebot.test.evil.example"])(
    "in production gives %s no Access-Control-Allow-Origin",
    async (origin) => {
      const response = await fetchWithEnv(production, preflight(origin));
      expect(response.headers.get("Access-Control-Allow-Origin")).toBeNull();
      const simple = await fetchWithEnv(
        production,
        new Request("https://edge.test/health", { headers: { Origin: origin } }),
      );
      expect(simple.headers.get("Access-Control-Allow-Origin")).toBeNull();
    },
  );

  it("exposes the refresh, rate-limit and request-id headers", async () => {
    const response = await fetchWithEnv(
      production,
      new Request("https://edge.test/health", { headers: { Origin: "https://www.imagebot.test" } }),
    );
    expect(response.headers.get("Access-Control-Allow-Origin")).toBe("https://www.imagebot.test");
    const exposed = response.headers.get("Access-Control-Expose-Headers")?.split(",") ?? [];
    expect(exposed).toEqual(
      expect.arrayContaining(["X-Refreshed-Token", "RateLimit-Remaining", "Retry-After", "X-Request-Id"]),
    );
  });
});

describe("configuration", () => {
  it.each([
    ["missing", undefined, "JWT_SECRET is not set"],
    ["short", "s".repeat(31), "JWT_SECRET must be at least 32 bytes"],
  ])("refuses every request while JWT_SECRET is %s, and logs the setting's name", async (_label, value, message) => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      for (const path of ["/health", "/v1/auth/login"]) {
        const response = await fetchWithEnv({ JWT_SECRET: value }, new Request(`https://edge.test${path}`));
        const problem = await expectProblem(response, 500, "server_misconfigured");
        expect(JSON.stringify(problem)).not.toContain("JWT_SECRET");
      }
      expect(logged).toHaveBeenCalledWith(expect.stringContaining(message));
    } finally {
      logged.mockRestore();
    }
  });

  it("refuses an unknown ENVIRONMENT rather than guessing", async () => {
    const logged = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const response = await fetchWithEnv({ ENVIRONMENT: "prod" }, new Request("https://edge.test/health"));
      await expectProblem(response, 500, "server_misconfigured");
    } finally {
      logged.mockRestore();
    }
  });
});
