// Starts the Worker under `wrangler dev` with fresh local state, for the scripts that drive the
// real service over HTTP (`npm run bench`, `npm run scan`). Shared so both start it the same way.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";

/** A random secret, well over the 32 bytes `loadConfig` asks for. */
export const randomSecret = () => randomBytes(48).toString("base64url");

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "ignore", "inherit"] });
    child.on("error", reject);
    child.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args[0]} exited ${code}`))));
  });
}

async function waitForHealth(base, deadline, server) {
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`wrangler dev exited ${server.exitCode} before answering /health`);
    try {
      // A bounded wait: a wrangler whose build failed accepts connections and never answers.
      if ((await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("wrangler dev did not answer /health in time");
}

/**
 * Wipes `state`, applies the D1 migrations to it, starts `wrangler dev` on 127.0.0.1:`port` with
 * random secrets (development mode, mails kept in the outbox) and resolves once /health answers.
 * The returned `stop` kills wrangler's whole process group (workerd included); the kill also runs
 * on process exit, Ctrl-C and SIGTERM, so no instance outlives its script.
 */
export async function startLocalWorker({ port, state, verbose = false }) {
  const base = `http://127.0.0.1:${port}`;
  const adminToken = randomSecret();
  const vars = {
    ENVIRONMENT: "development",
    MAIL_TRANSPORT: "outbox",
    APP_URL: base,
    JWT_SECRET: randomSecret(),
    ADMIN_TOKEN: adminToken,
    TOTP_ENCRYPTION_KEY: randomSecret(),
    STRIPE_WEBHOOK_SECRET: `whsec_${randomSecret()}`,
  };
  rmSync(state, { recursive: true, force: true });
  await run("wrangler", ["d1", "migrations", "apply", "DB", "--local", "--persist-to", state]);
  const args = ["dev", "--ip", "127.0.0.1", "--port", String(port), "--persist-to", state, "--log-level", "warn"];
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  // stdin and stdout are pipes: with "ignore", wrangler dev misbehaves. `detached` gives it its
  // own process group, so one signal reaches workerd and esbuild too.
  const server = spawn("wrangler", args, { stdio: ["pipe", "pipe", "inherit"], detached: true });
  server.stdout.on("data", (chunk) => {
    if (verbose) process.stdout.write(chunk);
  });

  const exited = new Promise((resolve) => server.once("exit", resolve));
  const kill = () => {
    try {
      process.kill(-server.pid, "SIGTERM");
    } catch {}
  };
  /** Kills the group and waits (at most 5 s) for wrangler to go, so its state can be removed. */
  const stop = async () => {
    kill();
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
  };
  process.on("exit", kill);
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ]) {
    process.once(signal, () => {
      kill();
      process.exit(code);
    });
  }
  try {
    await waitForHealth(base, Date.now() + 60_000, server);
  } catch (error) {
    kill();
    throw error;
  }
  return { base, adminToken, stop };
}

/**
 * One JSON call; throws on any non-2xx answer so that set-up mistakes surface at once.
 * `ip` becomes `CF-Connecting-IP`, the only client address the Worker reads.
 */
export async function callJson(base, method, path, { token, body, ip } = {}) {
  const headers = {};
  if (ip) headers["CF-Connecting-IP"] = ip;
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body) headers["Content-Type"] = "application/json";
  const response = await fetch(`${base}${path}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}
