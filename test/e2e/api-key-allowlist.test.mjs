// API.md "Limits and headers": a key used from outside its allowlist is a rejected credential. It
// counts against the client IP's budget of 1,000 unauthenticated requests an hour, beyond which
// the address gets 429, and the key's rejections are audited at most once per key and reason per
// minute, so a flood of them costs the owner's audit log a row, not a thousand.
import assert from "node:assert/strict";
import { test } from "node:test";
import { call, register } from "./client.mjs";
import { startServer } from "./server.mjs";

const server = await startServer();

const OWNER_IP = "198.51.100.31";
const STRANGER_IP = "198.51.100.7";
const HOURLY_BUDGET = 1000;
const EXTRA = 50;
// Enough to be quick, few enough not to starve the 2-core CI machine.
const CONCURRENCY = 8;

/** Creates the key; an account must first prove its email when the service asks for it. */
async function createKey(owner, body) {
  let answer = await call(server.base, "POST", "/v1/api-keys", { ip: OWNER_IP, token: owner.token, body });
  if (answer.status === 403 && answer.body.code === "email_unverified") {
    const mail = await call(server.base, "GET", `/dev/outbox?to=${encodeURIComponent(owner.email)}`, { ip: OWNER_IP });
    const token = /[?&]token=([A-Za-z0-9_-]+)/.exec(mail.body.data?.[0]?.text ?? "")?.[1];
    assert.ok(token, "the verification mail carries a link with a token");
    const verified = await call(server.base, "POST", "/v1/auth/email/verify", { ip: OWNER_IP, body: { token } });
    assert.equal(verified.status, 204);
    answer = await call(server.base, "POST", "/v1/api-keys", { ip: OWNER_IP, token: owner.token, body });
  }
  assert.equal(answer.status, 201, `create key: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.key;
}

test("1,050 requests with a key from outside its allowlist: 1,000 get 403, 50 get 429, a handful audited", async () => {
  const owner = await register(server.base, OWNER_IP);
  const key = await createKey(owner, { name: "allowlisted", scopes: ["read"], allowedIps: ["192.0.2.1"] });

  const answers = [];
  let sent = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (sent < HOURLY_BUDGET + EXTRA) {
        sent += 1;
        answers.push(await call(server.base, "GET", "/v1/images", { ip: STRANGER_IP, token: key }));
      }
    }),
  );

  const outcome = (answer) => `${answer.status} ${answer.body?.code}`;
  const tally = {};
  for (const answer of answers) tally[outcome(answer)] = (tally[outcome(answer)] ?? 0) + 1;
  assert.deepEqual(tally, { "403 ip_not_allowed": HOURLY_BUDGET, "429 rate_limited": EXTRA });
  for (const answer of answers.filter((each) => each.status === 429)) {
    assert.match(answer.headers.get("Retry-After") ?? "", /^\d+$/);
  }

  const audit = await call(server.base, "GET", "/v1/audit-log?type=api_key.rejected&limit=100", {
    ip: OWNER_IP,
    token: owner.token,
  });
  assert.equal(audit.status, 200);
  assert.ok(audit.body.data.length >= 1, "the rejection is in the owner's audit log");
  assert.ok(audit.body.data.length <= 5, `at most a handful of audit rows, got ${audit.body.data.length}`);
});
