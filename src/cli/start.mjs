// `npm start`: the local server. Writes `.dev.vars` when it is missing, applies `drizzle/` to the
// local D1, then runs `wrangler dev` on 127.0.0.1:$PORT (default 8787) in development mode.
// IMAGEBOT_STATE_DIR keeps D1, Durable Object and R2 state there instead of `.wrangler/state`, so a
// test can start a fresh instance next to a developer's own. Further arguments go to `wrangler dev`
// (`npm start -- --log-level warn`); a `--var` given there wins over `.dev.vars`.
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import "./ensure-dev-vars.mjs";

const root = fileURLToPath(new URL("../../", import.meta.url));
// wrangler's own entry point, run by this same Node (the project's Node 22 under npm), so that
// `node src/cli/start.mjs` works from any directory and whatever `node` comes first on PATH.
const wrangler = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

const port = process.env.PORT || "8787";
if (!/^\d{1,5}$/.test(port)) {
  console.error(`PORT must be a port number, not ${JSON.stringify(port)}`);
  process.exit(2);
}
const persist = process.env.IMAGEBOT_STATE_DIR ? ["--persist-to", resolve(process.env.IMAGEBOT_STATE_DIR)] : [];
const origin = `http://127.0.0.1:${port}`;

const wranglerRun = (args) => spawn(process.execPath, [wrangler, ...args], { cwd: root, stdio: "inherit" });

const migrations = wranglerRun(["d1", "migrations", "apply", "DB", "--local", ...persist]);
const migrated = await new Promise((resolveExit) => migrations.once("exit", (code) => resolveExit(code)));
if (migrated !== 0) process.exit(migrated ?? 1);

const devArgs = ["dev", "--ip", "127.0.0.1", "--port", port, ...persist];
// Passkeys need a domain name (an IP address is never a valid RP ID): the console's pages are used
// from http://localhost:$PORT, which WebAuthn treats as a secure context.
const passkeyOrigin = `WEBAUTHN_ORIGINS:http://localhost:${port}`;
for (const setting of ["ENVIRONMENT:development", "MAIL_TRANSPORT:outbox", `APP_URL:${origin}`, passkeyOrigin]) {
  devArgs.push("--var", setting);
}
const dev = wranglerRun([...devArgs, ...process.argv.slice(2)]);
// Ctrl-C reaches wrangler through the terminal's process group; a SIGTERM sent to this process
// alone (a process manager) is passed on, so wrangler stops workerd instead of orphaning it.
process.on("SIGTERM", () => dev.kill("SIGTERM"));
process.on("SIGINT", () => {});
dev.once("exit", (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
