// Issue 19: the OpenAPI document the running Worker serves must pass Redocly's recommended rules with
// no error, no warning and nothing ignored (API clients and their generators are written against it).
// Redocly runs offline, on the document fetched from `npm start`, not on one built by a test; the
// test itself is in client.test.mjs, which has that server running already.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const REDOCLY = join(ROOT, "node_modules/@redocly/cli/bin/cli.js");

/** Runs `redocly lint` on `file` and returns its JSON report (it exits 1 when it finds an error). */
function lint(file) {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [REDOCLY, "lint", file, "--extends=recommended", "--format=json"],
      {
        cwd: ROOT,
        maxBuffer: 64 * 1024 * 1024,
        env: { ...process.env, REDOCLY_TELEMETRY: "off", REDOCLY_SUPPRESS_UPDATE_NOTICE: "true", NO_COLOR: "1" },
      },
      (error, stdout, stderr) => {
        try {
          resolve(JSON.parse(stdout));
        } catch {
          reject(new Error(`redocly gave no report (${error?.message ?? "no error"}): ${stderr}`));
        }
      },
    );
  });
}

/** Redocly's problems with the document `base` serves, as readable lines, and its totals. */
export async function lintServedDocument(base) {
  const response = await fetch(`${base}/openapi.json`);
  assert.equal(response.status, 200);
  const dir = mkdtempSync(join(tmpdir(), "imagebot-openapi-"));
  try {
    const file = join(dir, "openapi.json");
    writeFileSync(file, JSON.stringify(await response.json(), null, 2));
    const report = await lint(file);
    const problems = report.problems.map(
      (problem) => `${problem.severity} ${problem.ruleId}: ${problem.message} at ${problem.location?.[0]?.pointer}`,
    );
    return { problems, totals: report.totals };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
