// `npm run bench`, second part: does retention keep up with the worst traffic the limits allow?
// Starts its own `npm start` instance with fresh state, writes a day's worth of that traffic's
// audit rows, dated a year and a day ago, into its local D1 (wrangler d1 execute --local, the same
// SQLite file the server uses), triggers the scheduled handler as the cron would, and reports how
// long the run took, how many rows it deleted and whether any expired row is left.
//
// The day's worth, per README "Audit volume per address": an address that fails without a
// credential writes at most 1,440 aggregated rows per kind and reason a day (one a minute); the
// bench takes 100 such addresses failing for 4 reasons all day (576,000 rows) plus 100,000
// accounts refreshing (one row per session and day): 676,000 rows.
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { startLocalWorker } from "../tools/local-worker.mjs";

const PORT = 8789;
const STATE = resolve(process.env.BENCH_STATE_DIR ?? ".wrangler/bench-retention-state");
const ADDRESS_ROWS = 100 * 4 * 1_440;
const REFRESH_ROWS = 100_000;
const DAY_MS = 86_400_000;
const root = fileURLToPath(new URL("../../", import.meta.url));
const wrangler = fileURLToPath(new URL("../../node_modules/wrangler/bin/wrangler.js", import.meta.url));

/** One SQL statement against the server's local D1; returns the first result's rows. */
function d1(sql) {
  const result = spawnSync(
    process.execPath,
    [wrangler, "d1", "execute", "DB", "--local", "--persist-to", STATE, "--json", "--command", sql],
    { cwd: root, encoding: "utf8", maxBuffer: 16 * 1024 * 1024 },
  );
  if (result.status !== 0) throw new Error(`wrangler d1 execute failed: ${result.stderr}`);
  return JSON.parse(result.stdout)[0]?.results ?? [];
}

/** `count` rows of `type`, created a year and a day ago, one key per row (as aggregation leaves them). */
const insertOld = (count, type, label) =>
  d1(`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ${count})
      INSERT INTO audit_log (id, type, ip, metadata, created_at)
      SELECT 'aud_bench_${label}_' || i, '${type}', '203.0.113.' || (i % 100), '{"count":1}',
             ${Date.now() - 366 * DAY_MS} + i FROM n`);

const { base, stop } = await startLocalWorker({
  port: PORT,
  state: STATE,
  verbose: Boolean(process.env.BENCH_VERBOSE),
});
try {
  insertOld(ADDRESS_ROWS, "webhook.signature_failed", "failures");
  insertOld(REFRESH_ROWS, "auth.token_refreshed", "refresh");
  const expiredBefore = d1(`SELECT count(*) AS n FROM audit_log WHERE created_at < ${Date.now() - 365 * DAY_MS}`)[0].n;

  const started = Date.now();
  // wrangler dev runs the scheduled handler on this URL, as the cron trigger would.
  const response = await fetch(`${base}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("17 * * * *")}`);
  const seconds = (Date.now() - started) / 1000;
  const expiredAfter = d1(`SELECT count(*) AS n FROM audit_log WHERE created_at < ${Date.now() - 365 * DAY_MS}`)[0].n;

  console.log("\nRetention against a day of the worst allowed traffic (wrangler dev, local D1)\n");
  console.log("| expired audit rows | run took | rows left | rows/s |");
  console.log("|---|---|---|---|");
  console.log(
    `| ${expiredBefore} | ${seconds.toFixed(1)} s | ${expiredAfter} | ${Math.round((expiredBefore - expiredAfter) / seconds)} |`,
  );
  if (!response.ok || expiredAfter !== 0) {
    console.error(`retention did not finish: HTTP ${response.status}, ${expiredAfter} expired rows left`);
    process.exitCode = 1;
  }
} finally {
  await stop();
}
