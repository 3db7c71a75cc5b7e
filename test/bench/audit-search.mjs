// `npm run bench`, third part: the operator's audit search (GET /v1/admin/audit-log) over
// 1,000,000 audit rows. Starts its own `npm start` instance with fresh state, writes the rows into
// its local D1 (wrangler d1 execute --local, the same SQLite file the server uses): 10,000 users,
// 50,000 addresses, 10 event types, spread over the last 23 days; then times each kind of search
// through the real server (HTTP, pipeline, D1) and fails if a median passes 50 ms.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startLocalWorker } from "../tools/local-worker.mjs";

const PORT = 8790;
const STATE = resolve(process.env.BENCH_STATE_DIR ?? ".wrangler/bench-audit-state");
const ROWS = 1_000_000;
const RUNS = 21;
const BUDGET_MS = 50;
const TYPES = [
  "auth.login",
  "auth.login_failed",
  "auth.logout",
  "auth.token_refreshed",
  "apikey.created",
  "apikey.rejected",
  "mfa.challenge_failed",
  "session.revoked",
  "password.reset",
  "user.registered",
];
const root = fileURLToPath(new URL("../../", import.meta.url));
const wrangler = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

function d1(sql) {
  const result = spawnSync(
    process.execPath,
    [wrangler, "d1", "execute", "DB", "--local", "--persist-to", STATE, "--json", "--command", sql],
    { cwd: root, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`wrangler d1 execute failed: ${result.stderr}`);
  return JSON.parse(result.stdout)[0]?.results ?? [];
}

const now = Date.now();
const typeCase = `CASE i % 10 ${TYPES.map((type, index) => `WHEN ${index} THEN '${type}'`).join(" ")} END`;
const userOf = (n) => `usr_bench${n}`;
const ipOf = (n) => `10.${Math.floor(n / 250) % 200}.${n % 250}.1`;

const { base, adminToken, stop } = await startLocalWorker({
  port: PORT,
  state: STATE,
  verbose: Boolean(process.env.BENCH_VERBOSE),
});
try {
  const started = Date.now();
  d1(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${ROWS})
      INSERT INTO audit_log (id, type, user_id, ip, request_id, metadata, created_at)
      SELECT 'aud_bench' || i, ${typeCase}, 'usr_bench' || (i % 10000),
             '10.' || ((i % 50000) / 250 % 200) || '.' || (i % 50000 % 250) || '.1',
             'req_bench' || i, '{}', ${now} - i * 2000 FROM n`);
  const loadSeconds = ((Date.now() - started) / 1000).toFixed(0);
  const total = d1("SELECT count(*) AS n FROM audit_log")[0].n;

  const day = (daysAgo) => new Date(now - daysAgo * 86_400_000).toISOString();
  const searches = {
    "newest 50, no filter": "limit=50",
    "one user": `userId=${userOf(4242)}`,
    "one address": `ip=${ipOf(4242)}`,
    "one type": "type=auth.login_failed",
    "one user, one type": `userId=${userOf(4242)}&type=auth.logout`,
    "one address, one day": `ip=${ipOf(4242)}&from=${day(11)}&to=${day(10)}`,
    "one type, one hour": `type=apikey.rejected&from=${day(5)}&to=${new Date(now - 5 * 86_400_000 + 3_600_000).toISOString()}`,
    "an address with no rows": "ip=192.0.2.1",
  };

  const time = async (query) => {
    const t0 = performance.now();
    const response = await fetch(`${base}/v1/admin/audit-log?${query}`, {
      headers: { Authorization: `Bearer ${adminToken}`, "CF-Connecting-IP": "127.0.0.1" },
    });
    const body = await response.json();
    if (response.status !== 200) throw new Error(`${query}: HTTP ${response.status} ${JSON.stringify(body)}`);
    return { ms: performance.now() - t0, rows: body.data.length, nextCursor: body.nextCursor };
  };

  console.log(
    `\nOperator audit search over ${total.toLocaleString("en")} rows (wrangler dev, local D1; loaded in ${loadSeconds} s)\n`,
  );
  console.log(`| search | rows on page | median | p95 | max |`);
  console.log("|---|---|---|---|---|");
  let over = false;
  const report = (label, samples, rows) => {
    samples.sort((a, b) => a - b);
    const at = (q) => samples[Math.min(samples.length - 1, Math.floor(q * samples.length))].toFixed(1);
    const median = samples[Math.floor(samples.length / 2)];
    if (median > BUDGET_MS) over = true;
    console.log(`| ${label} | ${rows} | ${median.toFixed(1)} ms | ${at(0.95)} ms | ${at(1)} ms |`);
  };
  for (const [label, query] of Object.entries(searches)) {
    await time(query); // the first call warms the isolate and the page cache
    const samples = [];
    let rows = 0;
    for (let run = 0; run < RUNS; run++) {
      const result = await time(query);
      samples.push(result.ms);
      rows = result.rows;
    }
    report(label, samples, rows);
  }
  // Deep pages: the 20th page of one type, following cursors as a client would.
  const deep = [];
  for (let run = 0; run < 5; run++) {
    let cursor = null;
    let last = 0;
    for (let page = 0; page < 20; page++) {
      const result = await time(`type=auth.logout&limit=100${cursor ? `&cursor=${cursor}` : ""}`);
      cursor = result.nextCursor;
      last = result.ms;
    }
    deep.push(last);
  }
  report("one type, 20th page of 100 (cursor)", deep, 100);
  if (over) {
    console.error(`a search's median passed ${BUDGET_MS} ms`);
    process.exitCode = 1;
  }
} finally {
  await stop();
}
