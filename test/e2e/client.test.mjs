// Issue 19: the typed client (src/client, imported here as its TypeScript sources: Node 22 strips
// the types) against the real `npm start` server. Every operation family goes through it; the
// conventions it promises are checked as a user sees them: the credential on every request,
// X-Refreshed-Token stored and sent next, problems thrown as ImageBotApiError, a 429 retried after
// Retry-After (or surfaced when the wait is too long), cursors walked by paginate(). The type test
// regenerates schema.d.ts from the served document and runs tsc over the client and its usage file.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { createImageBotClient, ImageBotApiError } from "../../src/client/index.ts";
import { committedSchemaTypes, schemaTypesOf, servedDocument } from "../tools/client-types.mjs";
import { call } from "./client.mjs";
import { lintServedDocument } from "./openapi-lint.mjs";
import { startServer } from "./server.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
// Known, so that a test can sign a token that is older than 24 h (API.md "Credentials").
const jwtSecret = randomBytes(48).toString("base64url");
const server = await startServer({ JWT_SECRET: jwtSecret });
const password = "a client passphrase, long enough";

/** A client from `ip`, recording every request it sends (retries included) and its answer. */
function clientFrom(ip, options = {}) {
  const sent = [];
  const client = createImageBotClient({
    baseUrl: server.base,
    headers: { "CF-Connecting-IP": ip },
    fetch: async (request) => {
      const response = await fetch(request);
      sent.push({
        method: request.method,
        path: new URL(request.url).pathname + new URL(request.url).search,
        authorization: request.headers.get("Authorization"),
        status: response.status,
        at: Date.now(),
      });
      return response;
    },
    ...options,
  });
  return { client, sent };
}

/** The thrown ImageBotApiError of `promise`, checked for status and code. */
async function problemOf(promise, status, code) {
  const error = await promise.then(
    () => assert.fail(`expected ${status} ${code}, the call succeeded`),
    (thrown) => thrown,
  );
  assert.ok(error instanceof ImageBotApiError, `not an ImageBotApiError: ${error}`);
  assert.equal(error.status, status, error.message);
  assert.equal(error.code, code);
  assert.match(error.requestId, /\S/, "every problem names its request");
  return error;
}

/** A verified account signed in through the client (register, follow the mailed link). */
async function signedUp(ip) {
  const { client, sent } = clientFrom(ip);
  const email = `client.${randomUUID()}@example.com`;
  const registered = await client.POST("/v1/auth/register", { body: { email, password, name: "Client" } });
  assert.equal(registered.user.email, email);
  client.setToken(registered.token);
  const outbox = await call(server.base, "GET", `/dev/outbox?to=${encodeURIComponent(email)}`, { ip });
  const link = outbox.body.data.find((mail) => /verify your/i.test(mail.subject));
  await client.POST("/v1/auth/email/verify", { body: { token: /\?token=([\w-]+)/.exec(link.text)[1] } });
  return { client, sent, email, user: registered.user };
}

/** The token mailed to `email` in the newest mail whose subject matches. */
async function mailedToken(email, subject, ip) {
  const outbox = await call(server.base, "GET", `/dev/outbox?to=${encodeURIComponent(email)}`, { ip });
  const mail = outbox.body.data.find((entry) => subject.test(entry.subject));
  assert.ok(mail, `no mail "${subject}" to ${email}`);
  return /\?token=([\w-]+)/.exec(mail.text)[1];
}

async function collect(iterator) {
  const items = [];
  for await (const item of iterator) items.push(item);
  return items;
}

test("auth, me, sessions, API keys, images, collections, comments and audit log through the client", async () => {
  const ip = "198.51.100.101";
  const { client, sent, email, user } = await signedUp(ip);

  // Sign in again (a second session) and refresh: the presented token stops working.
  const login = await client.POST("/v1/auth/login", { body: { email, password } });
  assert.ok("token" in login && login.token, "a bearer login answers a token");
  client.setToken(login.token);
  const refreshed = await client.POST("/v1/auth/refresh");
  const { client: stale } = clientFrom(ip, { token: login.token });
  client.setToken(refreshed.token);
  await problemOf(stale.GET("/v1/me"), 401, "unauthorized");

  // Me: read and update.
  assert.equal((await client.GET("/v1/me")).id, user.id);
  assert.equal((await client.PATCH("/v1/me", { body: { name: "Renamed" } })).name, "Renamed");

  // Sessions, one per page: paginate() follows nextCursor until it is null.
  const before = sent.length;
  const sessions = await collect(client.paginate("/v1/sessions", { params: { query: { limit: 1 } } }));
  assert.equal(sessions.length, 2, "the registration's session and the login's");
  assert.equal(sessions.filter((session) => session.current).length, 1);
  const pages = sent.slice(before);
  assert.equal(pages.length, 2);
  assert.match(pages[1].path, /cursor=/, "the second page asks for the first page's cursor");

  // An API key, then the key as another client's credential.
  const created = await client.POST("/v1/api-keys", { body: { name: "client e2e", scopes: ["read", "generate"] } });
  assert.match(created.key, /^imgbot_live_[0-9a-f]{64}$/);
  const { client: keyClient, sent: keySent } = clientFrom(ip, { apiKey: created.key });
  const images = [];
  for (const prompt of ["a lighthouse at dusk", "a fox in the snow", "a teapot on the moon"]) {
    images.push(await keyClient.POST("/v1/images/generations", { body: { prompt, size: "256x256" } }));
  }
  assert.equal(keySent.at(-1).authorization, `Bearer ${created.key}`);
  const listed = await collect(keyClient.paginate("/v1/images", { params: { query: { limit: 2 } } }));
  assert.deepEqual(listed.map((image) => image.id).sort(), images.map((image) => image.id).sort());
  const bytes = await keyClient.GET("/v1/images/{id}/content", {
    params: { path: { id: images[0].id } },
    parseAs: "arrayBuffer",
  });
  assert.ok(bytes.byteLength > 0, "the image's bytes");
  assert.ok(
    (await collect(client.paginate("/v1/api-keys"))).some((key) => key.id === created.id && key.revokedAt === null),
  );

  // Collections and comments (session credential).
  const collection = await client.POST("/v1/collections", { body: { name: "Favourites" } });
  await client.PUT("/v1/collections/{id}/images/{imageId}", {
    params: { path: { id: collection.id, imageId: images[1].id } },
  });
  assert.equal(
    (await client.GET("/v1/collections/{id}", { params: { path: { id: collection.id } } })).id,
    collection.id,
  );
  assert.ok((await collect(client.paginate("/v1/collections"))).some((entry) => entry.id === collection.id));
  const path = { id: images[1].id };
  await client.POST("/v1/images/{id}/comments", { params: { path }, body: { body: "Lovely light." } });
  const comments = await collect(keyClient.paginate("/v1/images/{id}/comments", { params: { path } }));
  assert.deepEqual(
    comments.map((comment) => comment.body),
    ["Lovely light."],
  );

  // Revoked: the key's very next request is a typed 401.
  await client.DELETE("/v1/api-keys/{id}", { params: { path: { id: created.id } } });
  const revoked = await problemOf(keyClient.GET("/v1/images"), 401, "unauthorized");
  assert.equal(revoked.title, "Unauthorized");

  // The audit log, walked page by page, holds what was just done.
  const events = await collect(client.paginate("/v1/audit-log", { params: { query: { limit: 5 } } }));
  const types = new Set(events.map((event) => event.type));
  for (const type of ["auth.login", "auth.token_refreshed", "api_key.created", "api_key.revoked"]) {
    assert.ok(types.has(type), `${type} in ${[...types]}`);
  }
});

test("teams through the client: create, invite, accept, members, team audit log", async () => {
  const owner = await signedUp("198.51.100.102");
  const invitee = await signedUp("203.0.113.102");
  const team = await owner.client.POST("/v1/teams", { body: { name: "Client team" } });
  const params = { path: { id: team.id } };
  await owner.client.POST("/v1/teams/{id}/invitations", { params, body: { email: invitee.email, role: "member" } });
  const pending = await collect(owner.client.paginate("/v1/teams/{id}/invitations", { params }));
  assert.deepEqual(
    pending.map((invitation) => invitation.email),
    [invitee.email],
  );
  const token = await mailedToken(invitee.email, /invit/i, "203.0.113.102");
  assert.equal((await invitee.client.POST("/v1/invitations/accept", { body: { token } })).id, team.id);
  const members = await collect(owner.client.paginate("/v1/teams/{id}/members", { params }));
  assert.deepEqual(members.map((member) => member.role).sort(), ["member", "owner"]);
  assert.ok((await collect(invitee.client.paginate("/v1/teams"))).some((entry) => entry.id === team.id));
  const events = await collect(owner.client.paginate("/v1/teams/{id}/audit-log", { params }));
  assert.ok(events.some((event) => event.type === "team.member_joined"));
  // A member may not read the team's audit log: a typed 403.
  await problemOf(invitee.client.GET("/v1/teams/{id}/audit-log", { params }), 403, "forbidden");
});

test("a validation error is thrown with its failed fields in errors[]", async () => {
  const { client } = clientFrom("198.51.100.103");
  const error = await problemOf(
    client.POST("/v1/auth/register", { body: { email: "not an address", password } }),
    400,
    "validation_failed",
  );
  assert.ok(
    error.errors.some((entry) => entry.path === "email" && entry.message),
    JSON.stringify(error.errors),
  );
});

test("a 429 is retried after its Retry-After; a wait beyond maxWaitSeconds surfaces as the typed error", async () => {
  // The failed-login throttle (API.md "Login"): after a failed login the address waits 2^n s.
  // Each address is in a /24 of its own, so the network guard never decides.
  const { email } = await signedUp("198.51.100.104");
  const ip = "192.0.2.104";
  const { client, sent } = clientFrom(ip, { retry: { maxRetries: 2, maxWaitSeconds: 10 } });
  await problemOf(
    client.POST("/v1/auth/login", { body: { email, password: "not the password" } }),
    401,
    "invalid_credentials",
  );
  const before = sent.length;
  const login = await client.POST("/v1/auth/login", { body: { email, password } });
  assert.ok("token" in login && login.token, "signed in once the backoff was over");
  const attempts = sent.slice(before);
  assert.deepEqual(
    attempts.map((attempt) => attempt.status),
    [429, 200],
  );
  assert.ok(attempts[1].at - attempts[0].at >= 900, "the retry waited for Retry-After");

  const { client: impatient, sent: impatientSent } = clientFrom("192.0.3.104", { retry: { maxWaitSeconds: 0 } });
  const body = { email, password: "not the password" };
  await problemOf(impatient.POST("/v1/auth/login", { body }), 401, "invalid_credentials");
  const throttled = await problemOf(impatient.POST("/v1/auth/login", { body }), 429, "too_many_attempts");
  assert.ok(throttled.retryAfterSeconds >= 1, `Retry-After ${throttled.retryAfterSeconds}`);
  assert.equal(impatientSent.length, 2, "no retry when the wait is longer than the client accepts");
});

test("retries are bounded and only for requests safe to repeat (a stand-in server answering 429 or 503)", async () => {
  const problem = (status, code) =>
    new Response(
      JSON.stringify({ type: "about:blank", title: "Busy", status, detail: "busy", code, requestId: "req_1" }),
      {
        status,
        headers: { "Content-Type": "application/problem+json", "Retry-After": "0" },
      },
    );
  const bodies = [];
  const answering = (status, code) =>
    createImageBotClient({
      baseUrl: "http://api.invalid",
      token: "a session JWT",
      retry: { maxRetries: 2 },
      fetch: async (request) => {
        bodies.push(`${request.method} ${await request.text()}`);
        return problem(status, code);
      },
    });

  // 503 on a GET: retried twice, then thrown.
  await problemOf(answering(503, "unavailable").GET("/v1/me"), 503, "unavailable");
  assert.deepEqual(bodies.splice(0), ["GET ", "GET ", "GET "]);
  // 503 on a POST: it may have done part of the work, so it is not repeated.
  const body = { name: "ci", scopes: ["read"] };
  await problemOf(answering(503, "unavailable").POST("/v1/api-keys", { body }), 503, "unavailable");
  assert.deepEqual(bodies.splice(0), [`POST ${JSON.stringify(body)}`]);
  // 429 on a POST: refused before anything was done, so repeated, with its body each time.
  await problemOf(answering(429, "rate_limited").POST("/v1/api-keys", { body }), 429, "rate_limited");
  assert.deepEqual(bodies.splice(0), Array(3).fill(`POST ${JSON.stringify(body)}`));
});

test("a refreshed token replaces only the token the client itself sent (a stand-in server)", async () => {
  const client = createImageBotClient({
    baseUrl: "http://api.invalid",
    token: "the client's token",
    fetch: async () => Response.json({}, { headers: { "X-Refreshed-Token": "a fresh token" } }),
  });
  await client.GET("/v1/me", { headers: { Authorization: "Bearer a token of the call's own" } });
  assert.equal(client.token, "the client's token", "the call's own credential was refreshed, not the client's");
  await client.GET("/v1/me");
  assert.equal(client.token, "a fresh token");
});

test("X-Refreshed-Token on a token older than 24 h is stored, handed to onTokenRefreshed and sent next", async () => {
  const { client: setUp } = await signedUp("198.51.100.105");
  const old = backdated(setUp.token, 25 * 60 * 60);
  const persisted = [];
  const { client, sent } = clientFrom("198.51.100.105", {
    token: old,
    onTokenRefreshed: (token) => persisted.push(token),
  });
  await client.GET("/v1/me");
  assert.equal(persisted.length, 1, "the fresh token went to onTokenRefreshed");
  assert.notEqual(persisted[0], old);
  assert.equal(client.token, persisted[0]);
  await client.GET("/v1/me");
  assert.equal(sent.at(-1).authorization, `Bearer ${persisted[0]}`, "the next call sends the fresh token");
  assert.equal(persisted.length, 1, "a fresh token is not refreshed again");
});

/** The same token re-signed (HS256, the server's secret) as if issued `seconds` earlier. */
function backdated(token, seconds) {
  const [header, payload] = token.split(".");
  const claims = JSON.parse(Buffer.from(payload, "base64url").toString());
  const moved = { ...claims, iat: claims.iat - seconds, exp: claims.exp - seconds };
  const signingInput = `${header}.${Buffer.from(JSON.stringify(moved)).toString("base64url")}`;
  return `${signingInput}.${createHmac("sha256", jwtSecret).update(signingInput).digest("base64url")}`;
}

test("type test: schema.d.ts is what the served document generates, and tsc accepts the client and its usage", async () => {
  const regenerated = await schemaTypesOf(await servedDocument(server.base));
  assert.ok(
    regenerated === committedSchemaTypes(),
    "src/client/schema.d.ts differs from the document the Worker serves: run `npm run client:generate`",
  );
  // src/client/type-tests/usage.ts: its @ts-expect-error lines fail tsc as soon as the types loosen.
  const tsc = join(root, "node_modules/typescript/bin/tsc");
  await promisify(execFile)(process.execPath, [tsc, "-p", join(root, "src/client")], { cwd: root }).catch((error) =>
    assert.fail(`tsc -p src/client failed:\n${error.stdout}${error.stderr}`),
  );
});

test("nothing under src/ but src/client imports the client: it stays out of the Worker's bundle", () => {
  const clientDir = join(root, "src/client");
  const offenders = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (path === clientDir) continue;
      if (entry.isDirectory()) walk(path);
      else if (/\.(ts|tsx|mts|js|mjs)$/.test(entry.name)) {
        const source = readFileSync(path, "utf8");
        for (const [, specifier] of source.matchAll(/(?:from|import)\s*\(?\s*["']([^"']+)["']/g)) {
          const target = specifier.startsWith(".") ? resolve(dirname(path), specifier) : specifier;
          if (
            target === clientDir ||
            target.startsWith(`${clientDir}/`) ||
            specifier.startsWith("@imagebot/edge-client")
          ) {
            offenders.push(`${relative(root, path)} imports ${specifier}`);
          }
        }
      }
    }
  };
  walk(join(root, "src"));
  assert.deepEqual(offenders, []);
});

test("redocly lint (recommended): zero errors, zero warnings on the served /openapi.json", async () => {
  const { problems, totals } = await lintServedDocument(server.base);
  assert.deepEqual(problems, []);
  assert.deepEqual(totals, { errors: 0, warnings: 0, ignored: 0 });
});
