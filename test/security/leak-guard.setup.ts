// ASVS 5.0 V16.2 (security logging: no credentials in logs), V16.3 (audit events), OWASP API8:2023.
// Runs around every test file of the suite: captures every log line the Worker and its Durable
// Objects write and, after the file, reads every audit row, then asserts that no secret used
// anywhere in the file (password, JWT, API key, reset or invitation token, MFA secret, webhook
// or signing secret; see test/helpers/secret-registry.ts) appears in either.
import { env } from "cloudflare:workers";
import { afterAll, expect } from "vitest";
import { captureConsole, capturedLines } from "../helpers/log-capture";
import { knownSecrets } from "../helpers/secret-registry";

captureConsole();

/** Secrets found in logs or audit rows, each named by a JSON-escaped prefix (no lone surrogate). */
export async function findLeaks(): Promise<string[]> {
  const { results: auditRows } = await env.DB.prepare("SELECT * FROM audit_log").all();
  const haystacks = { "log lines": capturedLines().join("\n"), "audit rows": JSON.stringify(auditRows) };
  const leaks: string[] = [];
  for (const secret of knownSecrets()) {
    for (const [where, text] of Object.entries(haystacks)) {
      if (text.includes(secret)) leaks.push(`${JSON.stringify(secret.slice(0, 16))}… in ${where}`);
    }
  }
  return leaks;
}

afterAll(async () => {
  expect(await findLeaks()).toEqual([]);
});
