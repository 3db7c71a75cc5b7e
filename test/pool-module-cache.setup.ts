// Halves the pool's cost per request (measured: ~50 ms → ~22 ms a request on the loaded 2-core machine).
// @cloudflare/vitest-pool-workers 0.23 resolves the Worker's module again through vite's module
// runner on every request it hands to the Worker and on every call to a Durable Object
// (`importModule(main)` in its test-internal module). The module is evaluated once per file, but
// each of those imports still asks the vite server over the websocket whether it changed: two or
// more round trips to the Node process per request, while the Node process is busy serving the
// other files.
//
// Within one file nothing can change it: every file (and every re-run in watch mode) gets a fresh
// runtime and a fresh module runner. So an import of a module this runner has already evaluated is
// answered from the runner's own cache, as vite itself answers once the server replies "cached";
// anything not evaluated yet (the test file, its imports) takes vite's normal path.

interface EvaluatedModule {
  evaluated: boolean;
  promise?: Promise<unknown>;
  meta?: object;
}
interface ModuleRunner {
  import(url: string): Promise<unknown>;
  evaluatedModules: {
    getModuleByUrl(url: string): EvaluatedModule | undefined;
    getModuleById(id: string): EvaluatedModule | undefined;
  };
}

const runner = (globalThis as unknown as { __vitest_mocker__: { moduleRunner: ModuleRunner } }).__vitest_mocker__
  .moduleRunner;
const viteImport = runner.import.bind(runner);
runner.import = (url: string) => {
  const cached = runner.evaluatedModules.getModuleByUrl(url) ?? runner.evaluatedModules.getModuleById(url);
  // Externalized modules take vite's path: it checks their named exports on every import.
  if (cached?.evaluated && cached.promise && cached.meta && !("externalize" in cached.meta)) return cached.promise;
  return viteImport(url);
};

export {};
