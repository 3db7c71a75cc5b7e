// Issue 18's "done when": a credential-stuffing attack against the real `npm start` server, then the
// incident runbook of SECURITY.md ("Incident response: the runbook"), call for call, to the end.
// Detect: exactly one signed alert per kind reaches the webhook, and the summary names the attacking
// network. Contain: the network is blocked and the breached account forced to a new password.
// Investigate: the operator's audit search shows what the attacker did. Recover and notify: the owner
// follows the mailed link, and nothing the attacker did survives.
import assert from "node:assert/strict";
import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";
import { createServer } from "node:http";
import { test } from "node:test";
import { call, register } from "./client.mjs";
import { freePort, startServer } from "./server.mjs";

// The attacker's network (TEST-NET-3) and the owner's own address elsewhere.
const NETWORK = "203.0.113.0/24";
const attackerAddress = (host) => `203.0.113.${host}`;
const OWNER_IP = "198.51.100.20";
const OPERATOR_IP = "192.0.2.10";
const WEBHOOK_SECRET = `whsec_incident_${randomUUID()}`;
// Low thresholds, so that a short attack passes each; only the breached account fails from five addresses or more.
const THRESHOLDS = {
  ALERT_FAILED_LOGINS_PER_MINUTE: "10",
  ALERT_ACCOUNT_ADDRESSES: "5",
  ALERT_NETWORK_ACCOUNTS: "3",
  ALERT_KEY_REJECTIONS_PER_MINUTE: "10",
};
const ALERT_KINDS = ["account_under_attack", "failed_logins_spike", "key_rejections_burst", "network_under_attack"];

/** The operator's webhook receiver: every POST, kept with its signature header and raw body. */
async function startWebhookReceiver() {
  const received = [];
  const server = createServer((request, response) => {
    const chunks = [];
    request.on("data", (chunk) => chunks.push(chunk));
    request.on("end", () => {
      received.push({ signature: request.headers["x-imagebot-signature"], body: Buffer.concat(chunks).toString() });
      response.writeHead(204).end();
    });
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${port}/alerts`, received, close: () => server.close() };
}

/** API.md "Alerts": `t=<unix>,v1=<hex HMAC-SHA256 of "t.body">`, checked as a receiver must. */
function verifySignature({ signature, body }) {
  const parts = Object.fromEntries(
    String(signature)
      .split(",")
      .map((part) => part.split("=")),
  );
  const expected = createHmac("sha256", WEBHOOK_SECRET).update(`${parts.t}.${body}`).digest();
  const given = Buffer.from(parts.v1 ?? "", "hex");
  return given.length === expected.length && timingSafeEqual(given, expected);
}

async function waitFor(what, check, seconds = 90) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = await check();
    if (value) return value;
    assert.ok(Date.now() < deadline, `waited ${seconds} s for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}

const hook = await startWebhookReceiver();
const server = await startServer({ ...THRESHOLDS, ALERT_WEBHOOK_URL: hook.url, ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET });
const login = (ip, email, password) => call(server.base, "POST", "/v1/auth/login", { ip, body: { email, password } });

/** A login that waits out a throttle's Retry-After (at most 20 s) and tries again, as an attacker would. */
async function persistentLogin(ip, email, password) {
  for (;;) {
    const answer = await login(ip, email, password);
    if (answer.status !== 429) return answer;
    const wait = Number(answer.headers.get("Retry-After"));
    assert.ok(wait <= 20, `throttled for ${wait} s`);
    await new Promise((resolve) => setTimeout(resolve, wait * 1000));
  }
}

const operator = (method, path, body) =>
  call(server.base, method, path, { ip: OPERATOR_IP, token: server.adminToken, body });

test("a credential-stuffing attack, detected, contained, investigated and recovered by the runbook", async () => {
  // The victims; one reused a password that is on the attacker's list.
  const accounts = [];
  for (let i = 0; i < 6; i += 1) accounts.push(await register(server.base, OWNER_IP));
  const breached = accounts[0];

  // The rules count per minute: start the attack early in one, so that it cannot straddle two.
  const intoMinute = Date.now() % 60_000;
  if (intoMinute > 30_000) await new Promise((resolve) => setTimeout(resolve, 60_000 - intoMinute + 500));
  // The attack: 24 addresses of one network, one try each, eight of them at the breached account.
  // Like a real attacker it waits out each throttle (the network's backoff) and goes on.
  const stuffed = [];
  for (let host = 1; host <= 24; host += 1) {
    const target = host <= 8 ? breached : accounts[1 + (host % 5)];
    stuffed.push(await persistentLogin(attackerAddress(host), target.email, `wrong password from the list ${host}`));
  }
  assert.deepEqual(new Set(stuffed.map((answer) => answer.status)), new Set([401]));
  // Guessed API keys, each one a rejected credential.
  for (let i = 0; i < 25; i += 1) {
    const guess = `imgbot_live_${randomUUID().replaceAll("-", "")}${randomUUID().replaceAll("-", "")}`;
    const answer = await call(server.base, "GET", "/v1/images", { ip: attackerAddress(50 + i), token: guess });
    assert.equal(answer.status, 401);
  }
  // The hit: the breached account's real password, from the attacking network.
  const hit = await persistentLogin(attackerAddress(99), breached.email, breached.password);
  assert.equal(hit.status, 200, `the stuffed password works: ${JSON.stringify(hit.body)}`);
  const stolen = hit.body.token;
  // What the attacker does with it: a key of their own, and an image made with it.
  const keyAnswer = await call(server.base, "POST", "/v1/api-keys", {
    ip: attackerAddress(99),
    token: stolen,
    body: { name: "backup", scopes: ["read", "generate"] },
  });
  assert.equal(keyAnswer.status, 201);
  const attackerKey = keyAnswer.body.key;
  const image = await call(server.base, "POST", "/v1/images/generations", {
    ip: attackerAddress(99),
    token: attackerKey,
    body: { prompt: "made by the attacker" },
  });
  assert.equal(image.status, 201);

  // DETECT (runbook step 1): one signed alert per kind, and no second one however long the attack goes on.
  const alerts = await waitFor("an alert of each kind", () => {
    const kinds = new Set(hook.received.map((each) => JSON.parse(each.body).kind));
    return ALERT_KINDS.every((kind) => kinds.has(kind)) && hook.received;
  });
  for (const alert of alerts) assert.ok(verifySignature(alert), "every alert is signed with the webhook secret");
  for (let host = 30; host <= 34; host += 1) {
    await persistentLogin(attackerAddress(host), breached.email, "more of the list");
  }
  // Two flush intervals (5 s each): any alert the extra failures could raise would be here by then.
  await new Promise((resolve) => setTimeout(resolve, 12_000));
  const byKind = {};
  for (const each of hook.received) {
    const alert = JSON.parse(each.body);
    byKind[alert.kind] = [...(byKind[alert.kind] ?? []), alert.subject];
  }
  assert.deepEqual(Object.keys(byKind).sort(), ALERT_KINDS);
  assert.deepEqual(byKind.network_under_attack, [NETWORK]);
  assert.deepEqual(byKind.account_under_attack, [breached.email]);
  assert.deepEqual(byKind.failed_logins_spike, ["service"]);
  assert.deepEqual(byKind.key_rejections_burst, ["service"]);
  const listed = await call(server.base, "GET", "/dev/alerts", { ip: OPERATOR_IP });
  assert.equal(listed.body.data.length, 4, "/dev/alerts lists the same four");

  const summary = await operator("GET", "/v1/admin/security/summary?window=15m");
  assert.equal(summary.status, 200);
  assert.equal(summary.body.topNetworks[0].network, NETWORK, JSON.stringify(summary.body));
  assert.equal(summary.body.topAccounts[0].account, breached.email);
  assert.ok(summary.body.counts.failedLogins >= 24);
  assert.ok(summary.body.counts.keyRejections >= 25);

  // CONTAIN (step 2): block the network, force the breached account to a new password.
  const block = await operator("POST", "/v1/admin/ip-blocks", { ip: NETWORK, reason: "credential stuffing" });
  assert.equal(block.status, 201);
  // INVESTIGATE (step 3): who signed in from the network, and what they did.
  const signIns = await operator("GET", `/v1/admin/audit-log?ip=${attackerAddress(99)}&type=auth.login`);
  assert.deepEqual(
    signIns.body.data.map((event) => event.userId),
    [breached.user.id],
  );
  const forced = await operator("POST", `/v1/admin/users/${breached.user.id}/force-password-reset`);
  assert.equal(forced.status, 204);
  const trail = await operator("GET", `/v1/admin/audit-log?ip=${attackerAddress(99)}`);
  const types = trail.body.data.map((event) => event.type);
  assert.ok(types.includes("api_key.created") && types.includes("image.generated"), types.join(","));

  // The attacker is out: blocked as a network, and their session and key are dead from anywhere.
  const blocked = await call(server.base, "GET", "/v1/me", { ip: attackerAddress(99), token: stolen });
  assert.equal(blocked.status, 403);
  assert.equal((await call(server.base, "GET", "/v1/me", { ip: "192.0.2.77", token: stolen })).status, 401);
  assert.equal((await call(server.base, "GET", "/v1/images", { ip: "192.0.2.77", token: attackerKey })).status, 401);
  const stale = await login("192.0.2.78", breached.email, breached.password);
  assert.equal(stale.status, 403);
  assert.equal(stale.body.code, "password_reset_required");

  // RECOVER and NOTIFY (steps 4 and 5): the owner was mailed the link, sets a new password, signs in,
  // and removes what the attacker made.
  const mail = await call(server.base, "GET", `/dev/outbox?to=${encodeURIComponent(breached.email)}`, {
    ip: OWNER_IP,
  });
  const resetMail = mail.body.data.find((entry) => /\?token=/.test(entry.text ?? "") && /reset/i.test(entry.subject));
  const resetToken = /\?token=([A-Za-z0-9_-]+)/.exec(resetMail?.text ?? "")?.[1];
  assert.ok(resetToken, "the owner is mailed a reset link");
  const newPassword = "a new passphrase nobody has seen";
  const reset = await call(server.base, "POST", "/v1/auth/password/reset", {
    ip: OWNER_IP,
    body: { token: resetToken, password: newPassword },
  });
  assert.equal(reset.status, 204);
  const back = await login(OWNER_IP, breached.email, newPassword);
  assert.equal(back.status, 200);
  const ownerToken = back.body.token;
  const removed = await call(server.base, "DELETE", `/v1/images/${image.body.id}`, { ip: OWNER_IP, token: ownerToken });
  assert.equal(removed.status, 204);

  // Nothing the attacker did survives: no live key, no session but the owner's, no image.
  const keys = await call(server.base, "GET", "/v1/api-keys", { ip: OWNER_IP, token: ownerToken });
  assert.deepEqual(
    keys.body.data.filter((key) => !key.revokedAt),
    [],
  );
  const sessions = await call(server.base, "GET", "/v1/sessions", { ip: OWNER_IP, token: ownerToken });
  assert.deepEqual(
    sessions.body.data.map((session) => session.current),
    [true],
  );
  const images = await call(server.base, "GET", "/v1/images", { ip: OWNER_IP, token: ownerToken });
  assert.deepEqual(images.body.data, []);
  assert.equal((await login(attackerAddress(99), breached.email, newPassword)).status, 403, "the network stays out");
  hook.close();
});
