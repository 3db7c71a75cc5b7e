import createClient, { type Client, type FetchResponse, type MaybeOptionalInit } from "openapi-fetch";
import type { HttpMethod, MediaType, PathsWithMethod, RequiredKeysOf } from "openapi-typescript-helpers";
import { apiErrorOf } from "./errors.ts";
import { type RetryOptions, retryingFetch } from "./retry.ts";
import type { paths } from "./schema.js";

export type { paths } from "./schema.js";

export interface ImageBotClientOptions {
  /** Where the API lives, e.g. `https://api.imagebot.app` or `http://127.0.0.1:8787` (no `/v1`). */
  baseUrl: string;
  /** A session JWT (from register, login or refresh). Replaced by `X-Refreshed-Token` when one comes. */
  token?: string;
  /** An API key (`imgbot_live_...`): images, collections and comments within its scopes. */
  apiKey?: string;
  /**
   * Called with every fresh token the server hands out (`X-Refreshed-Token`), to persist it. The
   * client already uses the new token; the call waits for this hook and rejects if it throws.
   */
  onTokenRefreshed?: (token: string) => void | Promise<void>;
  /** How 429 and 503 answers are retried (see retry.ts for which requests are). */
  retry?: RetryOptions;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The fetch to use (default: the global one). */
  fetch?: (request: Request) => Promise<Response>;
}

// The argument list openapi-fetch's own methods take: the init is optional unless the operation
// has required parameters or a required body.
type InitParam<Init> =
  RequiredKeysOf<Init> extends never ? [(Init & { [key: string]: unknown })?] : [Init & { [key: string]: unknown }];

/** What a successful call resolves to: the 2xx body, typed; `undefined` for a 204. */
type SuccessData<Response> = Response extends { data: infer Data; error?: never } ? Data : never;
export type ResponseData<Path extends keyof paths, Method extends HttpMethod, Init = unknown> = SuccessData<
  FetchResponse<paths[Path][Method & keyof paths[Path]] & Record<string | number, unknown>, Init, MediaType>
>;

type CallMethod<Method extends HttpMethod> = <
  Path extends PathsWithMethod<paths, Method>,
  Init extends MaybeOptionalInit<paths[Path], Method>,
>(
  path: Path,
  ...init: InitParam<Init>
) => Promise<ResponseData<Path, Method, Init>>;

/** A GET path that answers API.md's list shape `{ data: [...], nextCursor }`. */
export type ListPath = {
  [Path in PathsWithMethod<paths, "get">]: ResponseData<Path, "get"> extends {
    data: unknown[];
    nextCursor: string | null;
  }
    ? Path
    : never;
}[PathsWithMethod<paths, "get">];
export type ListItem<Path extends ListPath> = ResponseData<Path, "get"> extends { data: (infer Item)[] } ? Item : never;

export interface ImageBotClient {
  GET: CallMethod<"get">;
  POST: CallMethod<"post">;
  PUT: CallMethod<"put">;
  PATCH: CallMethod<"patch">;
  DELETE: CallMethod<"delete">;
  /**
   * Every item of a list, page after page (`?cursor=` from each page's `nextCursor`), fetched as
   * the loop asks for them: `for await (const image of client.paginate("/v1/images")) ...`.
   * `params.query.limit` sets the page size.
   */
  paginate<Path extends ListPath, Init extends MaybeOptionalInit<paths[Path], "get">>(
    path: Path,
    ...init: InitParam<Init>
  ): AsyncGenerator<ListItem<Path>, void, undefined>;
  /** The session JWT the next call sends (the latest refreshed one), if the client uses one. */
  readonly token: string | undefined;
  /** Signs the client in with a session JWT (after login), replacing any token or API key. */
  setToken(token: string): void;
  /** Uses an API key from now on, replacing any token. */
  setApiKey(apiKey: string): void;
  /** The openapi-fetch client underneath (its `{ data, error, response }` results, no throwing). */
  readonly raw: Client<paths>;
}

type Credential = { kind: "token"; value: string } | { kind: "apiKey"; value: string } | undefined;

/**
 * A typed client of the ImageBot API (the operations and bodies of src/client/schema.d.ts):
 * the credential on every request, `X-Refreshed-Token` picked up and stored, 429/503 retried
 * after `Retry-After` (bounded, safe requests only), and every non-2xx answer thrown as an
 * ImageBotApiError.
 */
export function createImageBotClient(options: ImageBotClientOptions): ImageBotClient {
  let credential: Credential = options.token
    ? { kind: "token", value: options.token }
    : options.apiKey
      ? { kind: "apiKey", value: options.apiKey }
      : undefined;
  const send = options.fetch ?? ((request: Request) => globalThis.fetch(request));

  // Every attempt (retries included) carries the credential current at that moment, unless the
  // call set its own Authorization header.
  const authenticatedSend = async (request: Request) => {
    const sentWith = request.headers.has("Authorization") ? undefined : credential;
    if (sentWith) request.headers.set("Authorization", `Bearer ${sentWith.value}`);
    const response = await send(request);
    const refreshed = response.headers.get("X-Refreshed-Token");
    // Only the refresh of the token this client sent, and only if no newer one was set meanwhile
    // (a sign-in while the request was under way): never a call's own credential's.
    if (refreshed && sentWith?.kind === "token" && credential === sentWith) {
      credential = { kind: "token", value: refreshed };
      await options.onTokenRefreshed?.(refreshed);
    }
    return response;
  };

  const raw = createClient<paths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ""),
    headers: options.headers,
    fetch: retryingFetch(authenticatedSend, options.retry),
  });

  type Result = { data?: unknown; error?: unknown; response: Response };
  const unwrap = async (pending: Promise<Result>) => {
    const { data, error, response } = await pending;
    if (!response.ok) throw apiErrorOf(response, error);
    return data;
  };
  // openapi-fetch's methods, throwing instead of returning the error; the types are CallMethod's.
  const call =
    (method: (path: never, init?: never) => Promise<Result>) =>
    (path: string, init?: unknown): Promise<unknown> =>
      unwrap(method(path as never, init as never));

  const client = {
    GET: call(raw.GET),
    POST: call(raw.POST),
    PUT: call(raw.PUT),
    PATCH: call(raw.PATCH),
    DELETE: call(raw.DELETE),
    async *paginate(path: string, init?: { params?: { query?: Record<string, unknown> } }) {
      let cursor: string | null | undefined;
      do {
        const query = { ...init?.params?.query, ...(cursor ? { cursor } : {}) };
        const page = (await client.GET(path as never, { ...init, params: { ...init?.params, query } } as never)) as {
          data: unknown[];
          nextCursor: string | null;
        };
        yield* page.data;
        cursor = page.nextCursor;
      } while (cursor);
    },
    get token() {
      return credential?.kind === "token" ? credential.value : undefined;
    },
    setToken(token: string) {
      credential = { kind: "token", value: token };
    },
    setApiKey(apiKey: string) {
      credential = { kind: "apiKey", value: apiKey };
    },
    raw,
  };
  return client as unknown as ImageBotClient;
}
