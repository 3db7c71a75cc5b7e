// API.md "General" (Lists): every list takes `?limit=` (1..100, default 50) and `?cursor=` and answers
// `{ data, nextCursor }`; none answers an unbounded list. The list routes are found in the OpenAPI
// document the Worker serves, so a new list is held to the rule without being named here.
import { describe, expect, it } from "vitest";
import { api, env, login, type RegisteredUser, registerUser } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { createCollection, createImage, createTeam, ownedObjects } from "../helpers/fixtures";
import { insertIdentity } from "../helpers/identities";
import { insertPasskeyRow } from "../helpers/passkeys";
import { routeSamples } from "../helpers/route-samples";

type Json = Record<string, unknown>;
interface OpenApiDocument {
  paths: Record<string, Record<string, Json>>;
  components?: { schemas?: Record<string, Json> };
}

const openApi = (async () => (await (await api("GET", "/openapi.json")).json()) as OpenApiDocument)();

function resolve(document: OpenApiDocument, schema: Json | undefined): Json | undefined {
  const ref = schema?.$ref;
  if (typeof ref !== "string") return schema;
  return resolve(document, document.components?.schemas?.[ref.replace("#/components/schemas/", "")]);
}

/** Every GET operation whose 200 answer has a `data` array: "GET /v1/teams/{id}/members" → its operation. */
async function listRoutes(): Promise<Map<string, Json>> {
  const document = await openApi;
  const lists = new Map<string, Json>();
  for (const [path, operations] of Object.entries(document.paths)) {
    const get = operations.get as
      | { responses?: Record<string, { content?: Record<string, { schema?: Json }> }> }
      | undefined;
    const schema = resolve(document, get?.responses?.["200"]?.content?.["application/json"]?.schema);
    const data = resolve(document, (schema?.properties as Record<string, Json> | undefined)?.data);
    if (data?.type === "array") lists.set(`GET ${path}`, { ...(get as Json), responseSchema: schema });
  }
  return lists;
}

interface Page {
  data: Json[];
  nextCursor: string | null;
}

/** The path of a sample request, its query string replaced by `query`. */
function withQuery(path: string, query: Record<string, string>) {
  const url = new URL(path, "https://edge.test");
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return `${url.pathname}${url.search}`;
}

/** Follows the cursors from the first page with `limit`; every page's items, and each page's size. */
async function walk(path: string, token: string | undefined, limit: number) {
  const items: Json[] = [];
  const sizes: number[] = [];
  let cursor: string | null = null;
  for (let pages = 0; pages < 50; pages++) {
    const query: Record<string, string> = { limit: String(limit), ...(cursor ? { cursor } : {}) };
    const response = await api("GET", withQuery(path, query), token === undefined ? {} : { token });
    expect({ path, status: response.status }).toEqual({ path, status: 200 });
    const page = (await response.json()) as Page;
    expect(page).toHaveProperty("nextCursor");
    sizes.push(page.data.length);
    items.push(...page.data);
    cursor = page.nextCursor;
    if (cursor === null) break;
  }
  expect(cursor, `${path} never ends`).toBeNull();
  const ids = items.map((item) => String(item.id ?? item.userId));
  expect(new Set(ids).size, `${path} repeats an item across pages`).toBe(ids.length);
  return { ids, sizes };
}

/**
 * For the lists where it is cheap, a user with at least `count` items in the list. Routes not
 * named here are still checked, with what the route samples give them.
 */
/** Seeds a list with `count` items of `user`; `token` when the list is not read with the user's own. */
const seeders: Record<string, (user: RegisteredUser) => Promise<{ path: string; count: number; token?: string }>> = {
  "GET /v1/api-keys": async (user) => {
    for (let index = 0; index < 3; index++) await createKey(user.token, { name: `key ${index}` });
    return { path: "/v1/api-keys", count: 3 };
  },
  "GET /v1/me/identities": async (user) => {
    for (const provider of ["github", "google", "oidc"]) await insertIdentity(user.id, provider);
    return { path: "/v1/me/identities", count: 3 };
  },
  "GET /v1/me/passkeys": async (user) => {
    for (let index = 0; index < 3; index++) await insertPasskeyRow(user.id, `passkey ${index}`);
    return { path: "/v1/me/passkeys", count: 3 };
  },
  "GET /v1/sessions": async (user) => {
    await login(user.email, user.password);
    await login(user.email, user.password);
    return { path: "/v1/sessions", count: 3 };
  },
  "GET /v1/images": async (user) => {
    for (let index = 0; index < 3; index++) await createImage(user.token, { prompt: `list ${index}` });
    return { path: "/v1/images", count: 3 };
  },
  "GET /v1/images/{id}/comments": async (user) => {
    const { imageId } = await ownedObjects(user);
    for (let index = 0; index < 3; index++) {
      const body = { body: `comment ${index}` };
      expect((await api("POST", `/v1/images/${imageId}/comments`, { token: user.token, body })).status).toBe(201);
    }
    return { path: `/v1/images/${imageId}/comments`, count: 3 };
  },
  "GET /v1/collections": async (user) => {
    for (let index = 0; index < 3; index++) await createCollection(user.token, { name: `list ${index}` });
    return { path: "/v1/collections", count: 3 };
  },
  "GET /v1/teams": async (user) => {
    for (let index = 0; index < 3; index++) await createTeam(user.token, `List ${index}`);
    return { path: "/v1/teams", count: 3 };
  },
  "GET /v1/teams/{id}/members": async (user) => {
    const { teamId } = await ownedObjects(user);
    // Two more members, joined directly in D1: this test is about the list, not about invitations.
    for (const role of ["member", "viewer"]) {
      const member = await registerUser();
      await env.DB.prepare("INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?, ?, ?, ?)")
        .bind(teamId, member.id, role, Date.now())
        .run();
    }
    return { path: `/v1/teams/${teamId}/members`, count: 3 };
  },
  "GET /v1/licenses": async (user) => {
    // Licences come from Stripe purchases; their rows are written directly (the webhook has its own tests).
    for (let index = 0; index < 3; index++) {
      await env.DB.prepare(
        "INSERT INTO licenses (id, user_id, image_id, stripe_checkout_session_id, created_at) VALUES (?, ?, NULL, ?, ?)",
      )
        .bind(
          `lic_list${index}${crypto.randomUUID().slice(0, 8)}`,
          user.id,
          `cs_list_${crypto.randomUUID()}`,
          Date.now(),
        )
        .run();
    }
    return { path: "/v1/licenses", count: 3 };
  },
  "GET /v1/audit-log": async (user) => {
    await login(user.email, user.password);
    await login(user.email, user.password);
    return { path: "/v1/audit-log", count: 3 };
  },
  "GET /v1/admin/audit-log": async (user) => {
    await login(user.email, user.password);
    await login(user.email, user.password);
    return { path: `/v1/admin/audit-log?userId=${user.id}`, count: 3, token: env.ADMIN_TOKEN };
  },
};

/** Public lists that need no seeding: the providers are the deployment's (the pool turns GitHub on). */
const publicListPaths: Record<string, string> = { "GET /v1/auth/providers": "/v1/auth/providers" };

describe("every list paginates (API.md Lists), found from the OpenAPI document", () => {
  it("finds the list routes", async () => {
    const routes = [...(await listRoutes()).keys()];
    // Today's lists; a new one joins the checks below by itself.
    for (const known of [
      ...Object.keys(seeders),
      "GET /v1/teams/{id}/audit-log",
      "GET /dev/outbox",
      "GET /dev/alerts",
    ]) {
      expect(routes).toContain(known);
    }
  });

  it("every list documents limit (1..100) and cursor, and answers nextCursor", async () => {
    const offending: string[] = [];
    for (const [route, operation] of await listRoutes()) {
      const parameters = (operation.parameters ?? []) as { in: string; name: string; schema?: Json }[];
      const query = new Map(parameters.filter((p) => p.in === "query").map((p) => [p.name, p.schema ?? {}]));
      const limit = query.get("limit");
      if (limit?.maximum !== 100 || limit?.minimum !== 1) offending.push(`${route}: no limit of 1..100`);
      if (!query.has("cursor")) offending.push(`${route}: no cursor`);
      const properties = (operation.responseSchema as Json).properties as Json;
      if (!properties.nextCursor) offending.push(`${route}: no nextCursor in the answer`);
    }
    expect(offending).toEqual([]);
  });

  it("every list answers at most `limit` items and a cursor that walks the rest without repeats; a bad limit is 400", async () => {
    const user = await registerUser();
    const routes = [...(await listRoutes()).keys()];
    const offending: string[] = [];
    for (const route of routes) {
      const seeded = await seeders[route]?.(user);
      const sample = routeSamples[route];
      const development = route.startsWith("GET /dev/");
      // The outbox is read per recipient; the alert desk is one list.
      const developmentQueries: Record<string, Record<string, string>> = { "GET /dev/outbox": { to: user.email } };
      const path =
        seeded?.path ??
        publicListPaths[route] ??
        (development ? withQuery(route.slice(4), developmentQueries[route] ?? {}) : (await sample?.(user))?.path);
      if (!path) {
        offending.push(`${route}: no seeder here and no sample in test/helpers/route-samples.ts`);
        continue;
      }
      const token = development ? undefined : (seeded?.token ?? user.token);
      for (const limit of ["0", "101", "ten"]) {
        const response = await api("GET", withQuery(path, { limit }), token === undefined ? {} : { token });
        if (response.status !== 400) offending.push(`${route}: limit=${limit} answered ${response.status}`);
      }
      const { ids, sizes } = await walk(path, token, 2);
      if (sizes.some((size) => size > 2)) offending.push(`${route}: a page of ${Math.max(...sizes)} items for limit=2`);
      if (seeded && ids.length < seeded.count) offending.push(`${route}: walked ${ids.length} of ${seeded.count}`);
      if (seeded && sizes[0] !== 2) offending.push(`${route}: first page of ${sizes[0]} with ${seeded.count} items`);
    }
    expect(offending).toEqual([]);
  });
});

describe("GET /v1/api-keys", () => {
  it("`?limit=2` answers two keys and a cursor, not every key (finding 10)", async () => {
    const user = await registerUser();
    const created = [];
    for (let index = 0; index < 5; index++) created.push(await createKey(user.token, { name: `k${index}` }));
    const first = await api("GET", "/v1/api-keys?limit=2", { token: user.token });
    const page = (await first.json()) as Page;
    expect(page.data.map((key) => key.id)).toEqual([created[4]?.id, created[3]?.id]);
    expect(page.nextCursor).toEqual(expect.any(String));
    const { ids } = await walk("/v1/api-keys", user.token, 2);
    expect(ids).toEqual(created.map((key) => key.id).reverse());
  });

  it("lists a revoked key for 30 days, then no more: revoked keys do not make the list grow for ever", async () => {
    const user = await registerUser();
    const recent = await createKey(user.token, { name: "revoked lately" });
    const old = await createKey(user.token, { name: "revoked long ago" });
    const live = await createKey(user.token, { name: "live" });
    for (const key of [recent, old]) {
      expect((await api("DELETE", `/v1/api-keys/${key.id}`, { token: user.token })).status).toBe(204);
    }
    const longAgo = Date.now() - 31 * 24 * 60 * 60 * 1000;
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE id = ?").bind(longAgo, old.id).run();
    const response = await api("GET", "/v1/api-keys", { token: user.token });
    const listed = ((await response.json()) as Page).data;
    expect(listed.map((key) => key.id)).toEqual([live.id, recent.id]);
    expect(listed[1]?.revokedAt).toEqual(expect.any(String));
  });
});
