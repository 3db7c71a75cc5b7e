// Works around a bug of @cloudflare/vitest-pool-workers 0.23.0 (cloudflare/workers-sdk#15092, fixed
// upstream by #15106, not yet in the version we use): the wrapper class it puts around the Worker's
// default export and around each Durable Object class wraps its shared prototype in one more
// `Proxy` on every construction. The default export is constructed once per request and a Durable
// Object class once per instance, so after N requests every property read on the next one walks N
// nested `get` traps: a file's requests get slower and slower (workers-sdk#15446; here 100 requests
// from fresh addresses took 5 s at first and 140 s after 400 more).
//
// The fix is the upstream one: each wrapper prototype gets its proxy once, and later constructions
// reuse it. The pool's own code calls the global `Proxy`, so wrapping the constructor lets us hand
// back the proxy already installed instead of nesting a new one. Nothing else changes: every other
// `new Proxy` (the Worker's, its libraries') is passed through untouched.

type Module = Record<string, unknown>;
// Native `import()` of the runner's own modules (vite's module runner cannot resolve them): the main
// module exports the default-export wrapper, the user-object module the Durable Object wrappers.
const nativeImport = new Function("specifier", "return import(specifier)") as (specifier: string) => Promise<Module>;
const modules = await Promise.all([nativeImport("index.mjs"), nativeImport("__VITEST_POOL_WORKERS_USER_OBJECT")]);
const wrapperClasses = modules.flatMap((module) =>
  Object.values(module).filter((value): value is { prototype: object } => typeof value === "function"),
);

/** The proxies installed on wrapper prototypes: wrapping one again hands it back as it is. */
const installed = new WeakSet<object>();
const NativeProxy = globalThis.Proxy;
if (!(NativeProxy as { reusesWrapperPrototypes?: boolean }).reusesWrapperPrototypes) {
  globalThis.Proxy = new NativeProxy(NativeProxy, {
    construct(target, args: [object, ProxyHandler<object>], newTarget) {
      const [wrapped] = args;
      if (installed.has(wrapped)) return wrapped;
      const proxy = Reflect.construct(target, args, newTarget) as object;
      if (wrapperClasses.some((wrapperClass) => wrapperClass.prototype === wrapped)) installed.add(proxy);
      return proxy;
    },
    get(target, key, receiver) {
      return key === "reusesWrapperPrototypes" ? true : Reflect.get(target, key, receiver);
    },
  });
}

export {};
