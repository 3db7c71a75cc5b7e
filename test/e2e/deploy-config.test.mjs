// `npm run deploy:check` refuses a deployment that would serve the local renderer or lack Workers
// AI: the checker against this repository's wrangler.toml, and against copies that break it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const checker = join(root, "src/cli/check-deploy-config.mjs");
const wranglerToml = readFileSync(join(root, "wrangler.toml"), "utf8");

function check(toml) {
  const path = join(mkdtempSync(join(tmpdir(), "deploy-check-")), "wrangler.toml");
  writeFileSync(path, toml.replace('main = "src/index.ts"', `main = ${JSON.stringify(join(root, "src/index.ts"))}`));
  return spawnSync(process.execPath, [checker, path], { cwd: root, encoding: "utf8" });
}

test("the repository's staging and production pass", () => {
  const result = check(wranglerToml);
  assert.equal(result.status, 0, result.stderr);
});

test("production with the local renderer fails, naming the deployment", () => {
  const production = wranglerToml.indexOf("\n[env.production]\n");
  const broken =
    wranglerToml.slice(0, production) +
    wranglerToml.slice(production).replace('IMAGE_GENERATOR = "workers-ai"', 'IMAGE_GENERATOR = "local"');
  const result = check(broken);
  assert.equal(result.status, 1);
  assert.match(result.stderr, /\[env\.production\] IMAGE_GENERATOR is not workers-ai/);
  assert.doesNotMatch(result.stderr, /\[env\.staging\]/);
});

test("a deployment without the AI binding fails", () => {
  const result = check(wranglerToml.replace('[env.staging.ai]\nbinding = "AI"\n', ""));
  assert.equal(result.status, 1);
  assert.match(result.stderr, /\[env\.staging\] no Workers AI binding/);
});

test("a deployment whose mail queue has no dead-letter queue fails", () => {
  const result = check(
    wranglerToml.replace('max_retries = 6\ndead_letter_queue = "imagebot-mail-dlq-staging"\n', "max_retries = 6\n"),
  );
  assert.equal(result.status, 1);
  assert.match(result.stderr, /\[env\.staging\] the mail queue has no dead-letter queue/);
  assert.doesNotMatch(result.stderr, /\[env\.production\]/);
});
