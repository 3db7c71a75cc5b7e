// Runs one scanner to its end and hands back everything it printed, for its caller to read the
// verdict from (sqlmap and wapiti both exit 0 whatever they find).
import { spawn } from "node:child_process";

const PROXY_SETTINGS = ["http_proxy", "https_proxy", "no_proxy", "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY"];

/** Resolves to `{ code, output, seconds }`; stdout and stderr together, in order. */
export function runTool(command, args, extraEnv = {}) {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    // No proxy settings from the environment: every request must go through our own proxy.
    const env = { ...process.env, ...extraEnv };
    for (const name of PROXY_SETTINGS) delete env[name];
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], env });
    let output = "";
    child.stdout.on("data", (chunk) => {
      output += chunk;
    });
    child.stderr.on("data", (chunk) => {
      output += chunk;
    });
    // An interrupted scan (Ctrl-C, SIGTERM from CI) leaves no scanner behind.
    const kill = () => child.kill();
    process.on("exit", kill);
    child.on("error", reject);
    child.on("exit", (code) => {
      process.off("exit", kill);
      resolve({ code, output, seconds: (Date.now() - started) / 1000 });
    });
  });
}
