// What sqlmap attacks: every route that takes client text into a query, with `*` marking each
// injection point. Each target's request without payloads is a VALID request that answers 2xx
// (checked before the scan), so the payloads travel the real handler and its D1 queries instead
// of stopping at an auth or validation error.
import { callJson, verifyEmailLocally } from "../tools/local-worker.mjs";
import { randomIp, uniqueToken } from "./proxy.mjs";

const PASSWORD = "scan passphrase, not a real one";
const UNIQUE = "__UNIQUE__";

/**
 * Seeds, through the API, what the targets need: the scan user (enterprise, with the highest
 * custom limit, so its own 60 s window never refuses the scanner), an API key with every scope, a
 * team, a collection, two images (so that a page has a next cursor) and a second account whose
 * only purpose is to be logged in to.
 */
export async function seed(base, adminToken) {
  const call = (method, path, options = {}) => callJson(base, method, path, { ip: randomIp(), ...options });
  const email = `scan.${uniqueToken()}@example.com`;
  const { token, user } = await call("POST", "/v1/auth/register", { body: { email, password: PASSWORD } });
  await verifyEmailLocally(base, email, randomIp());
  await call("PATCH", `/v1/admin/users/${user.id}`, {
    token: adminToken,
    body: { plan: "enterprise", rateLimitPerMinute: 100_000 },
  });
  const { key } = await call("POST", "/v1/api-keys", {
    token,
    body: { name: "scan", scopes: ["read", "generate", "manage"] },
  });
  const team = await call("POST", "/v1/teams", { token, body: { name: "Scan team" } });
  const collection = await call("POST", "/v1/collections", { token, body: { name: "Scan collection" } });
  const image = await call("POST", "/v1/images/generations", {
    token,
    body: { prompt: "a lighthouse", size: "256x256" },
  });
  await call("POST", "/v1/images/generations", { token, body: { prompt: "a paper boat", size: "256x256" } });
  const { nextCursor } = await call("GET", "/v1/images?limit=1", { token: key });
  const loginEmail = `scan.login.${uniqueToken()}@example.com`;
  const { user: loginUser } = await call("POST", "/v1/auth/register", {
    body: { email: loginEmail, password: PASSWORD },
  });
  return { call, email, token, key, team, collection, image, nextCursor, loginEmail, loginUser };
}

/** The scan targets; an `exchange` counts in `hooks` what it did on the scanner's behalf. */
export function scanTargets(seeded, adminToken) {
  const { call, email, token, key, team, collection, image, nextCursor, loginEmail, loginUser } = seeded;
  const json = (value) => JSON.stringify(value);
  // The two with a bcrypt on almost every request come first: they take longest.
  return [
    {
      // Every request gets a fresh email (the proxy fills in UNIQUE), so each one creates an
      // account (201) instead of answering 409 email_taken after the first.
      name: "POST /v1/auth/register",
      method: "POST",
      path: "/v1/auth/register",
      data: json({ email: `scan.${UNIQUE}@example.com*`, password: `${PASSWORD}*`, name: "Scan user*" }),
      rewrite: (body) => body.replaceAll(UNIQUE, uniqueToken),
    },
    {
      // The password reaches bcrypt, the email a query. Ten wrong passwords lock the account (423
      // without any bcrypt or query), which would leave every later payload on the lock path: on
      // a 423 the proxy clears the lock through the operator API and sends the request again.
      name: "POST /v1/auth/login",
      method: "POST",
      path: "/v1/auth/login",
      data: json({ email: `${loginEmail}*`, password: `${PASSWORD}*` }),
      // A wrong password is 401 invalid_credentials: the expected answer, not a failed set-up.
      ignoreCodes: [401],
      exchange: async (request, forward, hooks) => {
        const answer = await forward(request);
        if (answer.status !== 423) return answer;
        hooks.unlocks = (hooks.unlocks ?? 0) + 1;
        await call("POST", `/v1/admin/users/${loginUser.id}/unlock`, { token: adminToken });
        return forward(request);
      },
    },
    {
      name: "POST /v1/auth/password/forgot",
      method: "POST",
      path: "/v1/auth/password/forgot",
      data: json({ email: `${email}*` }),
    },
    {
      // At most 50 live keys per user: each key sqlmap creates is revoked at once, so creation
      // keeps answering 201 instead of 409 after the 50th.
      name: "POST /v1/api-keys",
      method: "POST",
      path: "/v1/api-keys",
      token,
      data: json({ name: "scan key*", scopes: ["read"] }),
      exchange: async (request, forward, hooks) => {
        const answer = await forward(request);
        if (answer.status === 201) {
          hooks.revoked = (hooks.revoked ?? 0) + 1;
          await call("DELETE", `/v1/api-keys/${JSON.parse(answer.body.toString()).id}`, { token });
        }
        return answer;
      },
    },
    {
      // The API key itself as the injection point: it is looked up in D1 (by its hash).
      name: "GET /v1/images (Authorization: Bearer <API key>*)",
      method: "GET",
      path: "/v1/images",
      authorization: `Bearer ${key}*`,
      // A key with a payload appended is no key: 401 is the expected answer.
      ignoreCodes: [401],
      // Only the header: the path is GET /v1/images/{id}'s target.
      noUriInjection: true,
    },
    {
      name: "POST /v1/teams",
      method: "POST",
      path: "/v1/teams",
      token,
      data: json({ name: "Scan team*", description: "made by the scan*" }),
    },
    {
      name: "PATCH /v1/teams/{id}",
      method: "PATCH",
      path: `/v1/teams/${team.id}*`,
      token,
      data: json({ name: "Renamed team*", description: "renamed by the scan*" }),
    },
    {
      name: "POST /v1/collections",
      method: "POST",
      path: "/v1/collections",
      token,
      data: json({ name: "Scan collection*", teamId: `${team.id}*` }),
    },
    {
      name: "POST /v1/images/generations",
      method: "POST",
      path: "/v1/images/generations",
      token: key,
      data: json({ prompt: "a lighthouse at dusk*", size: "256x256", teamId: `${team.id}*` }),
    },
    {
      name: "GET /v1/images?cursor=&teamId=",
      method: "GET",
      path: `/v1/images?limit=10&cursor=${nextCursor}*&teamId=${team.id}*`,
      token: key,
    },
    {
      name: "GET /v1/images/{id}",
      method: "GET",
      path: `/v1/images/${image.id}*`,
      token: key,
    },
    {
      name: "GET /v1/collections/{id}",
      method: "GET",
      path: `/v1/collections/${collection.id}*`,
      token: key,
    },
  ];
}

/** The target's request without any payload: the `*` markers removed and UNIQUE filled in. */
export function baseRequest(target) {
  const strip = (text) => text.replaceAll("*", "").replaceAll(UNIQUE, uniqueToken());
  const headers = {};
  const authorization = target.authorization ?? (target.token ? `Bearer ${target.token}` : undefined);
  if (authorization) headers.Authorization = strip(authorization);
  if (target.data) headers["Content-Type"] = "application/json";
  return { method: target.method, path: strip(target.path), headers, body: target.data && strip(target.data) };
}
