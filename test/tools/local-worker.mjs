// Starts the Worker the way `npm start` does (src/cli/start.mjs: .dev.vars, D1 migrations, wrangler
// dev), on its own port with fresh state, for the scripts and tests that drive the real service over
// HTTP (`npm run bench`, `npm run scan`, `npm run test:e2e`). Shared so all start it the same way.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";

const startScript = fileURLToPath(new URL("../../src/cli/start.mjs", import.meta.url));

/** A random secret, well over the 32 bytes `loadConfig` asks for. */
export const randomSecret = () => randomBytes(48).toString("base64url");

async function waitForHealth(base, deadline, server) {
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`npm start exited ${server.exitCode} before answering /health`);
    try {
      // A bounded wait: a wrangler whose build failed accepts connections and never answers.
      if ((await fetch(`${base}/health`, { signal: AbortSignal.timeout(2000) })).ok) return;
    } catch {}
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error("wrangler dev did not answer /health in time");
}

/**
 * Wipes `state`, then runs src/cli/start.mjs (what `npm start` runs) with PORT=`port` and
 * IMAGEBOT_STATE_DIR=`state`, random secrets as `--var`s (they win over `.dev.vars`, so the caller
 * knows them) and resolves once /health answers. The returned `stop` kills the whole process group
 * (wrangler, workerd and esbuild included); the kill also runs on process exit, Ctrl-C and SIGTERM,
 * so no instance outlives its script. `running()` tells whether the server process is still there.
 */
export async function startLocalWorker({ port, state, verbose = false }) {
  const base = `http://127.0.0.1:${port}`;
  const adminToken = randomSecret();
  const secrets = {
    JWT_SECRET: randomSecret(),
    ADMIN_TOKEN: adminToken,
    TOTP_ENCRYPTION_KEY: randomSecret(),
    STRIPE_WEBHOOK_SECRET: `whsec_${randomSecret()}`,
  };
  rmSync(state, { recursive: true, force: true });
  const args = [startScript, "--log-level", "warn"];
  for (const [name, value] of Object.entries(secrets)) args.push("--var", `${name}:${value}`);
  // stdin and stdout are pipes: with "ignore", wrangler dev misbehaves. `detached` gives it its
  // own process group, so one signal reaches wrangler, workerd and esbuild too.
  const server = spawn(process.execPath, args, {
    env: { ...process.env, PORT: String(port), IMAGEBOT_STATE_DIR: state },
    stdio: ["pipe", "pipe", "inherit"],
    detached: true,
  });
  server.stdout.on("data", (chunk) => {
    if (verbose) process.stdout.write(chunk);
  });

  const exited = new Promise((resolve) => server.once("exit", resolve));
  const kill = () => {
    try {
      process.kill(-server.pid, "SIGKILL");
    } catch {}
  };
  /**
   * Asks start.mjs to stop (it passes SIGTERM to wrangler, which stops workerd and esbuild in
   * order: a group-wide signal kills esbuild under wrangler's feet, and wrangler then prints "The
   * service is no longer running"), waits at most 5 s, then kills the whole group, so nothing
   * outlives the caller and the state directory can be removed.
   */
  const stop = async () => {
    server.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000).unref())]);
    kill();
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
    // Generous: a first start applies every migration, which a loaded 2-core machine makes slow.
    await waitForHealth(base, Date.now() + 180_000, server);
  } catch (error) {
    kill();
    throw error;
  }
  return { base, adminToken, stop, running: () => server.exitCode === null && server.signalCode === null };
}

/**
 * One JSON call; throws on any non-2xx answer so that set-up mistakes surface at once.
 * `ip` becomes `CF-Connecting-IP`, the only client address the Worker reads.
 */
/**
 * Follows the verification link mailed to `email` (read from /dev/outbox), as its owner would:
 * API keys and invitations need a verified address.
 */
export async function verifyEmailLocally(base, email, ip) {
  const { data } = await callJson(base, "GET", `/dev/outbox?to=${encodeURIComponent(email)}`, { ip });
  const mail = data.find((entry) => /verify your/i.test(entry.subject));
  const token = mail && /\?token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  if (!token) throw new Error(`no verification link mailed to ${email}`);
  await callJson(base, "POST", "/v1/auth/email/verify", { ip, body: { token } });
}

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
