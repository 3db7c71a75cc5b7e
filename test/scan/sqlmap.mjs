// Runs sqlmap against one target and reads its verdict from its log: sqlmap exits 0 whether or
// not it found an injection, so the exit code alone proves nothing.
import { writeFileSync } from "node:fs";
import path from "node:path";
import { runTool } from "./run-tool.mjs";

// Lines that mean sqlmap found something. "might be injectable" is its heuristic (a DBMS error
// in the answer), "might be vulnerable" its XSS / file-inclusion heuristics: all are findings.
const FINDING =
  /identified the following injection point|is vulnerable|might be injectable|might be vulnerable|DBMS error found in the HTTP response/i;
// A candidate ("parameter 'X' appears to be '<technique>' injectable") is a finding too, unless
// sqlmap's own false-positive check on that parameter then rejects it: answers that differ for
// reasons of their own (a create returns a new id, token and timestamp each time) can pass for a
// true/false pair once, and never for the follow-up arithmetic checks of a real injection.
const CANDIDATE = /parameter '(.+?)' appears to be .* injectable/i;
const CHECKING = /checking if the injection point on .*parameter '(.+?)' is a false positive/i;
const REJECTED = /false positive or unexploitable injection point detected/i;
// Lines that mean the scan did not test what it should: the request without payload failed, the
// target could not be reached, or there was nothing to test. Two CRITICAL lines are sqlmap's
// normal course: the verdict, and "heavily dynamic" (a create answers a new id and timestamp every
// time; sqlmap then compares pages with those parts removed and carries on).
const SETUP_PROBLEM =
  /responded with an HTTP error code|unable to retrieve page content|unable to connect|connection (refused|timed out)|no parameter\(s\) found|\[CRITICAL\] (?!all tested parameters do not appear to be injectable|target URL content appears to be heavily dynamic)|\[ERROR\]/i;
const NOT_INJECTABLE = "all tested parameters do not appear to be injectable";

/**
 * Scans one target: `target.method`, `target.url`, `target.data` and `target.headers` with `*`
 * marking each injection point; `target.ignoreCodes`, answers that are the expected outcome of a
 * payload (401 for a wrong password) at which sqlmap would otherwise stop; `target.noUriInjection`
 * to test the marked points only. Resolves to `{ findings, rejected, problems, httpErrors,
 * seconds }` (`rejected`: candidates sqlmap itself found to be false positives) and keeps sqlmap's
 * log in `outputDir/sqlmap.log`.
 */
export async function runSqlmap(target, { proxy, level, risk, technique, outputDir }) {
  const args = [
    "-u",
    target.url,
    "--method",
    target.method,
    "--headers",
    target.headers.join("\n"),
    "--proxy",
    proxy,
    "--ignore-stdin",
    "--batch",
    "--dbms=sqlite",
    "--flush-session",
    "--disable-coloring",
    "--output-dir",
    outputDir,
    `--level=${level}`,
    `--risk=${risk}`,
    `--technique=${technique}`,
    // The WAF heuristic adds an unknown query parameter; the API refuses unknown parameters (400)
    // on every GET, which sqlmap would take for a WAF. There is none to detect.
    "--skip-waf",
  ];
  if (target.ignoreCodes?.length) args.push(`--ignore-code=${target.ignoreCodes.join(",")}`);
  // Without query or body parameters sqlmap offers to inject into the path as well.
  if (target.noUriInjection) args.push("--answers=URI injections=N");
  if (target.data) args.push("--data", target.data);
  const { code, output, seconds } = await runTool("sqlmap", args, { TERM: "dumb" });
  writeFileSync(path.join(outputDir, "sqlmap.log"), output);
  const lines = output.split("\n").map((line) => line.trim());
  const findings = lines.filter((line) => FINDING.test(line));
  const candidates = new Map();
  const rejected = [];
  let checking;
  for (const line of lines) {
    const candidate = CANDIDATE.exec(line);
    if (candidate) candidates.set(candidate[1], line);
    checking = CHECKING.exec(line)?.[1] ?? checking;
    if (REJECTED.test(line) && candidates.has(checking)) {
      rejected.push(candidates.get(checking));
      candidates.delete(checking);
    }
  }
  findings.push(...candidates.values());
  const problems = lines.filter((line) => SETUP_PROBLEM.test(line));
  if (code !== 0) problems.push(`sqlmap exited ${code}`);
  if (!findings.length && !output.includes(NOT_INJECTABLE)) problems.push(`no "${NOT_INJECTABLE}" verdict`);
  // "HTTP error codes detected during run:" is followed by one "<code> (<reason>) - N times" per code.
  const httpErrors = lines.filter((line) => /^\d{3} \(.*\) - \d+ times$/.test(line));
  return { findings, rejected, problems, httpErrors, seconds };
}
