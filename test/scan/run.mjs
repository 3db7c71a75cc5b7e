// `npm run scan`: real scanners against the running service. Starts the Worker under
// `wrangler dev` on 127.0.0.1:8789 with fresh local state, seeds a user, key, team, collection and
// images through the API, then runs sqlmap on every route that takes client text into a query
// (each through its own counting proxy that gives every request a new client IP) and wapiti's
// header checks. Exits 1 on any finding or if a scan did not test what it should.
// Knobs for tuning: SCAN_LEVEL, SCAN_RISK, SCAN_TECHNIQUE, SCAN_CONCURRENCY, SCAN_ONLY (a
// substring of target names), SCAN_VERBOSE (wrangler's output).
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import path from "node:path";
import { startLocalWorker } from "../tools/local-worker.mjs";
import { checkMethods } from "./methods.mjs";
import { randomIp, send, startProxy } from "./proxy.mjs";
import { runSqlmap } from "./sqlmap.mjs";
import { baseRequest, scanTargets, seed } from "./targets.mjs";
import { runWapiti } from "./wapiti.mjs";

const PORT = 8789;
// Every new client address is a Durable Object with its own SQLite file, and every request writes
// one: on this VM's disk each fsync costs ~40 ms under load, on tmpfs next to nothing, which makes
// the scan 4-5× faster. So the state is a fresh directory in /dev/shm when there is one (it is
// deleted afterwards), else .wrangler/scan-state.
const STATE =
  process.env.SCAN_STATE ??
  (existsSync("/dev/shm") ? mkdtempSync(path.join("/dev/shm", "imagebot-scan-")) : ".wrangler/scan-state");
// sqlmap's logs and wapiti's report stay here after a run (under .wrangler/, so not committed).
const OUTPUT = ".wrangler/scan-output";
// The budget: the whole run within ~4 minutes on 2 cores. Level 3 adds boundaries (prefixes and
// suffixes) that levels 1 and 2 skip; risk 2 adds the heavy-query time-based tests. Requests per
// parameter with --dbms=sqlite: ~225 at 3/2, ~320 at 4/2, ~420 at 3/3, ~940 at 5/3. At 3/2 the
// run sends ~4700 requests in 2-2.5 minutes on the 2-core dev VM with other test suites running,
// most of it the bcrypt of register and login, which the Worker's one thread runs in turn; 4/2
// or 3/3 would go past 4 minutes under that load.
const LEVEL = Number(process.env.SCAN_LEVEL ?? 3);
const RISK = Number(process.env.SCAN_RISK ?? 2);
// Boolean, error, union, stacked, time-based and inline queries: every technique sqlmap has.
const TECHNIQUE = process.env.SCAN_TECHNIQUE ?? "BEUSTQ";
const CONCURRENCY = Number(process.env.SCAN_CONCURRENCY ?? 3);

const started = Date.now();
const elapsed = () => ((Date.now() - started) / 1000).toFixed(0);
const failures = [];
rmSync(OUTPUT, { recursive: true, force: true });
mkdirSync(OUTPUT, { recursive: true });
// Also on a failed start and on Ctrl-C (which exits without reaching `finally` below).
const removeState = () => {
  try {
    rmSync(STATE, { recursive: true, force: true });
  } catch {}
};
process.on("exit", removeState);

/** Runs `work` over `items`, at most `limit` at a time, keeping the order of `items` in the result. */
async function pool(items, limit, work) {
  const results = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index], index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

const { base, adminToken, stop } = await startLocalWorker({
  port: PORT,
  state: STATE,
  verbose: Boolean(process.env.SCAN_VERBOSE),
});
console.log(`[${elapsed()} s] wrangler dev answers on ${base}`);

try {
  const seeded = await seed(base, adminToken);
  const targets = scanTargets(seeded, adminToken).filter(
    (target) => !process.env.SCAN_ONLY || target.name.includes(process.env.SCAN_ONLY),
  );

  // Each target's request without payload must succeed, or sqlmap would only ever meet an error.
  for (const target of targets) {
    const request = baseRequest(target);
    const answer = await send(new URL(base), {
      ...request,
      headers: { ...request.headers, "CF-Connecting-IP": randomIp() },
      body: request.body ?? "",
    });
    if (answer.status < 200 || answer.status > 299) {
      failures.push(`${target.name}: the request without payload answered ${answer.status} ${answer.body}`);
    }
  }
  if (failures.length) throw new Error("a base request failed: the targets are not valid requests");
  console.log(`[${elapsed()} s] seeded; every target's base request answers 2xx`);

  console.log(
    `[${elapsed()} s] sqlmap --level=${LEVEL} --risk=${RISK} --technique=${TECHNIQUE} on ${targets.length} targets, ${CONCURRENCY} at a time`,
  );
  const results = await pool(targets, CONCURRENCY, async (target, index) => {
    const proxy = await startProxy(base, { rewrite: target.rewrite, exchange: target.exchange });
    const outputDir = path.join(OUTPUT, `sqlmap-${index}`);
    mkdirSync(outputDir);
    const authorization = target.authorization ?? (target.token ? `Bearer ${target.token}` : undefined);
    const headers = [];
    if (target.data) headers.push("Content-Type: application/json");
    if (authorization) headers.push(`Authorization: ${authorization}`);
    const result = await runSqlmap(
      {
        method: target.method,
        url: `${base}${target.path}`,
        data: target.data,
        headers,
        ignoreCodes: target.ignoreCodes,
        noUriInjection: target.noUriInjection,
      },
      { proxy: proxy.url, level: LEVEL, risk: RISK, technique: TECHNIQUE, outputDir },
    );
    await proxy.close();
    console.log(`[${elapsed()} s] ${target.name}: ${proxy.stats.requests} requests in ${result.seconds.toFixed(0)} s`);
    return { target, result, stats: proxy.stats, outputDir };
  });

  const wapitiProxy = await startProxy(base);
  const wapitiDir = path.join(OUTPUT, "wapiti");
  mkdirSync(wapitiDir);
  const wapiti = await runWapiti({
    base,
    // The public documents, and authenticated reads (their answers carry the same headers).
    startPaths: [
      "/health",
      "/openapi.json",
      "/v1/me",
      "/v1/images",
      `/v1/images/${seeded.image.id}`,
      "/v1/collections",
      `/v1/collections/${seeded.collection.id}`,
      "/v1/teams",
      `/v1/teams/${seeded.team.id}`,
      "/v1/api-keys",
      "/v1/sessions",
    ],
    headers: [`Authorization: Bearer ${seeded.token}`],
    proxy: wapitiProxy.url,
    workDir: wapitiDir,
  });
  await wapitiProxy.close();

  // The summary.
  console.log(`\nsqlmap ${LEVEL}/${RISK} (level/risk), techniques ${TECHNIQUE}, --dbms=sqlite:\n`);
  console.log("| target | requests | 2xx | 429 | other answers | proxy help | seconds | findings |");
  console.log("|---|---|---|---|---|---|---|---|");
  let requests = 0;
  let rateLimited = 0;
  const notes = [];
  for (const { target, result, stats, outputDir } of results) {
    requests += stats.requests;
    rateLimited += stats.rateLimited;
    const ok = Object.entries(stats.byStatus)
      .filter(([status]) => status.startsWith("2"))
      .reduce((sum, [, count]) => sum + count, 0);
    const others = Object.entries(stats.byStatus)
      .filter(([status]) => !status.startsWith("2"))
      .map(([status, count]) => `${status}×${count}`)
      .join(" ");
    const help = [stats.unlocks && `${stats.unlocks} unlocks`, stats.revoked && `${stats.revoked} keys revoked`]
      .filter(Boolean)
      .join(", ");
    console.log(
      `| ${target.name} | ${stats.requests} | ${ok} | ${stats.rateLimited} | ${others || "-"} | ${help || "-"} | ${result.seconds.toFixed(0)} | ${result.findings.length} |`,
    );
    const log = path.join(outputDir, "sqlmap.log");
    for (const finding of result.findings) failures.push(`${target.name}: sqlmap: ${finding} (${log})`);
    for (const line of result.rejected) notes.push(`${target.name}: rejected by sqlmap as a false positive: ${line}`);
    for (const problem of result.problems)
      failures.push(`${target.name}: sqlmap did not scan properly: ${problem} (${log})`);
    if (stats.requests === 0) failures.push(`${target.name}: no request went through the proxy`);
    else if (ok === 0) failures.push(`${target.name}: not one answer was 2xx: the scan met only errors`);
    if (stats.failed) failures.push(`${target.name}: ${stats.failed} requests failed in the proxy: ${stats.lastError}`);
  }
  console.log(`| total | ${requests} | | ${rateLimited} | | | | |`);
  for (const note of notes) console.log(`note: ${note}`);
  if (rateLimited) failures.push(`${rateLimited} answers were 429: the limiter, not the code, answered the scanner`);

  console.log(
    `\nwapiti (${wapiti.seconds.toFixed(0)} s, ${wapitiProxy.stats.requests} requests): ${wapiti.findings.length} findings, ${wapiti.accepted.length} accepted, ${wapiti.anomalies.length} anomalies`,
  );
  for (const line of wapiti.findings) console.log(`  finding: ${line}`);
  for (const line of wapiti.accepted) console.log(`  accepted (see test/scan/wapiti.mjs): ${line}`);
  for (const line of wapiti.anomalies) console.log(`  anomaly: ${line}`);
  for (const line of wapiti.methods) console.log(`  ${line.trim()}`);
  for (const finding of wapiti.findings) failures.push(`wapiti: ${finding}`);
  for (const problem of wapiti.problems) failures.push(`wapiti: ${problem}`);
  if (wapitiProxy.stats.requests === 0) failures.push("wapiti: no request went through the proxy");

  const methods = await checkMethods(base, randomIp);
  console.log(`\nmethods over raw HTTP: ${methods.requests} requests, ${methods.failures.length} failures`);
  for (const failure of methods.failures) failures.push(`methods: ${failure}`);
} catch (error) {
  failures.push(`set-up: ${error instanceof Error ? error.message : error}`);
} finally {
  await stop();
  // Hundreds of MB (a SQLite file per client address), in memory when on tmpfs.
  removeState();
}

console.log(`\nTotal: ${elapsed()} s. Logs and reports: ${OUTPUT}/`);
if (failures.length) {
  console.error(`\nscan FAILED:\n${failures.map((failure) => `- ${failure}`).join("\n")}`);
  process.exitCode = 1;
} else {
  console.log("scan passed: no findings.");
}
