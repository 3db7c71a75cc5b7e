// Type test (tsc -p src/client, run by `npm run typecheck` and test/e2e/client.test.mjs): typed
// calls that must compile, and wrong ones marked `@ts-expect-error`. Were the generated types to
// loosen (a path or field the document no longer names, a body typed `any`), an expected error
// would vanish and tsc would fail with "Unused '@ts-expect-error' directive".
import { createImageBotClient, ImageBotApiError } from "../index.ts";

const client = createImageBotClient({ baseUrl: "http://127.0.0.1:8787", token: "a session JWT" });

export async function typedCalls() {
  const me = await client.GET("/v1/me");
  const email: string = me.email;
  const created = await client.POST("/v1/api-keys", { body: { name: "ci", scopes: ["read", "generate"] } });
  const key: string = created.key;
  const image = await client.POST("/v1/images/generations", { body: { prompt: "a lighthouse at dusk" } });
  const imageId: string = image.id;
  const nothing: undefined = await client.POST("/v1/auth/logout");
  for await (const session of client.paginate("/v1/sessions", { params: { query: { limit: 10 } } })) {
    const current: boolean = session.current;
    void current;
  }
  for await (const member of client.paginate("/v1/teams/{id}/members", { params: { path: { id: "team_x" } } })) {
    void member.role;
  }
  try {
    await client.DELETE("/v1/api-keys/{id}", { params: { path: { id: created.id } } });
  } catch (error) {
    if (error instanceof ImageBotApiError) {
      const fields: string[] = error.errors.map((entry) => entry.path);
      void [error.status, error.code, error.requestId, fields];
    }
  }
  return [email, key, imageId, nothing];
}

export async function wrongCalls() {
  // @ts-expect-error a path the API does not have
  await client.GET("/v1/no-such-path", {});
  // @ts-expect-error a method the path does not serve
  await client.DELETE("/v1/me", {});
  // @ts-expect-error a field the response does not have
  (await client.GET("/v1/me")).passwordHash;
  // @ts-expect-error a body field the operation does not take
  await client.POST("/v1/api-keys", { body: { name: "ci", scopes: ["read"], admin: true } });
  // @ts-expect-error a scope the API does not know
  await client.POST("/v1/api-keys", { body: { name: "ci", scopes: ["root"] } });
  // @ts-expect-error the body is required
  await client.POST("/v1/auth/register");
  // @ts-expect-error the path parameter is required
  await client.GET("/v1/images/{id}");
  // @ts-expect-error a path that answers no list cannot be paginated
  client.paginate("/v1/me", {});
  // @ts-expect-error list items are typed: a session has no `prompt`
  for await (const session of client.paginate("/v1/sessions")) void session.prompt;
}
