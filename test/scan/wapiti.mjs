// Runs wapiti 3.0.4's header checks against the local Worker and reads its JSON report (wapiti
// exits 0 whatever it finds).
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { runTool } from "./run-tool.mjs";

const MODULES = "http_headers,csp,cookieflags,methods";

/**
 * Findings that are decided, one by one, not to apply. Anything else under "vulnerabilities" fails.
 *
 * - X-XSS-Protection: wapiti 3.0.4 wants "1" (turn the browser's XSS auditor on). The service
 *   sends `X-XSS-Protection: 0` on purpose (hono's secureHeaders default, OWASP Secure Headers
 *   Project): the auditors are gone from every current browser, and where they still exist
 *   "1"/"1; mode=block" opened cross-site leaks and let attackers switch off page scripts. A JSON
 *   API also has nothing for it to protect: its CSP is `default-src 'none'` and its bodies are
 *   not HTML. Setting "1" would be the weaker choice, so this one entry is accepted.
 */
const ACCEPTED = [{ category: "HTTP Secure Headers", info: "X-XSS-Protection is not set" }];

const isAccepted = (category, entry) => ACCEPTED.some((rule) => rule.category === category && rule.info === entry.info);

/** Resolves to `{ findings, accepted, anomalies, methods, problems, seconds }`; the log is `workDir/wapiti.log`. */
export async function runWapiti({ base, startPaths, headers, proxy, workDir }) {
  const report = path.join(workDir, "wapiti.json");
  const args = [
    "-u",
    `${base}/`,
    // Only this origin: the folder scope of "/" is every path of 127.0.0.1:<port>, nothing else.
    "--scope",
    "folder",
    "-m",
    MODULES,
    "--flush-session",
    "--no-bugreport",
    "--store-session",
    path.join(workDir, "session"),
    "--store-config",
    path.join(workDir, "config"),
    "-f",
    "json",
    "-o",
    report,
    "-p",
    proxy,
    "--max-scan-time",
    "60",
    "-v",
    "1",
  ];
  // A JSON API has no links to crawl: the start URLs are given.
  for (const startPath of startPaths) args.push("-s", `${base}${startPath}`);
  for (const header of headers) args.push("-H", header);
  const { code, output, seconds } = await runTool("wapiti", args);
  const log = path.join(workDir, "wapiti.log");
  writeFileSync(log, output);
  const problems = code === 0 ? [] : [`wapiti exited ${code} (${log})`];
  const findings = [];
  const accepted = [];
  const anomalies = [];
  try {
    const parsed = JSON.parse(readFileSync(report, "utf8"));
    for (const [category, entries] of Object.entries(parsed.vulnerabilities ?? {})) {
      for (const entry of entries) {
        (isAccepted(category, entry) ? accepted : findings).push(`${category}: ${entry.info} (${entry.path})`);
      }
    }
    for (const [category, entries] of Object.entries(parsed.anomalies ?? {})) {
      for (const entry of entries) anomalies.push(`${category}: ${entry.info} (${entry.path})`);
    }
  } catch (error) {
    problems.push(`no wapiti report: ${error instanceof Error ? error.message : error}`);
  }
  for (const module of MODULES.split(",")) {
    if (!output.includes(`Launching module ${module}`)) problems.push(`wapiti did not run module ${module} (${log})`);
  }
  // The methods module only prints what it finds (methods beyond GET/POST/OPTIONS/HEAD/TRACE).
  const methods = output.split("\n").filter((line) => line.includes("Interesting methods allowed"));
  return { findings, accepted, anomalies, methods, problems, seconds };
}
