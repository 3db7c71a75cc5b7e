import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";

/**
 * Fault injection over the real bindings. The Worker still talks to the real Durable Object
 * namespace (every method not named here reaches the real instance); only the named methods
 * of its stubs fail the way an unreachable or hung instance fails in production. This is not
 * a mock standing in for the guard's behaviour: the guard's decisions are never faked, only
 * its availability is taken away.
 */
export type GuardFault = "throws" | "hangs";

type Namespace = DurableObjectNamespace<Rpc.DurableObjectBranded & Record<string, unknown>>;

function failing(fault: GuardFault): () => Promise<never> {
  if (fault === "hangs") return () => new Promise<never>(() => {});
  // What a call to an overloaded, reset or crashed instance rejects with.
  return () => Promise.reject(new Error("injected fault: Durable Object unavailable"));
}

function faultyStub(stub: object, methods: Record<string, GuardFault>) {
  return new Proxy(stub, {
    get(target, property) {
      if (typeof property === "string" && Object.hasOwn(methods, property)) {
        return failing(methods[property] as GuardFault);
      }
      // Read from the real stub itself: its RPC methods are already bound to the instance.
      return Reflect.get(target, property);
    },
  });
}

/** A namespace binding whose stubs fail on the named methods (each "throws" or "hangs"). */
export function faultyNamespace(namespace: Namespace, methods: Record<string, GuardFault>) {
  return {
    idFromName: (name: string) => namespace.idFromName(name),
    idFromString: (id: string) => namespace.idFromString(id),
    newUniqueId: () => namespace.newUniqueId(),
    get: (id: DurableObjectId) => faultyStub(namespace.get(id), methods),
    getByName: (name: string) => faultyStub(namespace.get(namespace.idFromName(name)), methods),
  };
}

export const guardNamespaces = {
  USER_GUARD: env.USER_GUARD as unknown as Namespace,
  IP_GUARD: env.IP_GUARD as unknown as Namespace,
  ACCOUNT_GUARD: env.ACCOUNT_GUARD as unknown as Namespace,
  IP_BLOCK_LIST: env.IP_BLOCK_LIST as unknown as Namespace,
};

/**
 * Makes every write of one kind on `table` fail inside D1 itself until `drop` (a SQLite trigger
 * that raises ABORT): the real database refuses the write in the middle of its transaction,
 * which rolls back as any failed write would. Tables reached by ON DELETE CASCADE fire it too.
 */
export async function failingWrites(table: string, event: "INSERT" | "UPDATE" | "DELETE") {
  if (!/^[a-z_]+$/.test(table)) throw new Error(`not a table name: ${table}`);
  const name = `injected_fault_${table}_${event.toLowerCase()}`;
  await env.DB.prepare(
    `CREATE TRIGGER ${name} BEFORE ${event} ON ${table} BEGIN SELECT RAISE(ABORT, 'injected fault'); END`,
  ).run();
  return { drop: () => env.DB.prepare(`DROP TRIGGER IF EXISTS ${name}`).run() };
}

/**
 * The real R2 bucket with the named methods failing as R2 does when it is unavailable; every
 * other method is the real bucket's.
 */
export function faultyBucket(bucket: R2Bucket, methods: (keyof R2Bucket)[]) {
  return new Proxy(bucket, {
    get(target, property) {
      if (methods.includes(property as keyof R2Bucket)) {
        return () => Promise.reject(new Error("injected fault: R2 unavailable"));
      }
      const value = Reflect.get(target, property);
      // R2Bucket methods check their receiver: call them on the real bucket.
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/**
 * Asserts a 5xx RFC 9457 problem whose body carries nothing internal: no SQL, table, trigger,
 * driver message or stack (API.md "Errors"; ASVS V16.5.1). Returns the problem.
 */
export async function expectServerProblem(response: Response) {
  const text = await response.text();
  // The body rides along so that a failure shows what came back.
  expect({ serverError: response.status >= 500, text }).toMatchObject({ serverError: true });
  expect(response.headers.get("Content-Type")).toBe("application/problem+json");
  const problem = JSON.parse(text) as { code: string; detail: string; status: number };
  expect(["internal_error", "unavailable"]).toContain(problem.code);
  // The request id is random base64url: by chance it can spell "D1_" or "SQL".
  expect(text.replace(/"requestId":"[\w-]+"/, "")).not.toMatch(
    /injected|SQL|D1_|trigger|DELETE|INSERT|UPDATE|constraint|\bat\s+\S+\s+\(|\.ts:\d/i,
  );
  return problem;
}

/** Runs `request` while `table` refuses writes of `event`, and checks the 5xx problem it answers. */
export async function duringFault(
  table: string,
  event: "INSERT" | "UPDATE" | "DELETE",
  request: () => Promise<Response>,
) {
  const fault = await failingWrites(table, event);
  const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
  try {
    return await expectServerProblem(await request());
  } finally {
    await fault.drop();
    quiet.mockRestore();
  }
}

/** The `n` of a `SELECT count(*) AS n …` over the real D1. */
export async function count(sql: string, ...values: unknown[]): Promise<number> {
  const row = await env.DB.prepare(sql)
    .bind(...values)
    .first<{ n: number }>();
  return row?.n ?? 0;
}
