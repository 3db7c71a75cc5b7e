// The server under test: a fresh `npm start` for each test file (src/cli/start.mjs through
// test/tools/local-worker.mjs), on a free port with its own state directory, so one file's
// budgets, users and crashes never reach another. Stopped, whole process group, when the file ends.
import { mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after } from "node:test";
import { startLocalWorker } from "../tools/local-worker.mjs";

/** A port the kernel just handed out and took back: free unless another process races us for it. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** Starts the server and registers its stop with node:test; resolves once /health answers. */
export async function startServer() {
  const state = mkdtempSync(join(tmpdir(), "imagebot-e2e-"));
  const port = await freePort();
  const server = await startLocalWorker({ port, state, verbose: Boolean(process.env.E2E_VERBOSE) });
  after(async () => {
    await server.stop();
    rmSync(state, { recursive: true, force: true });
  });
  return { ...server, port };
}
