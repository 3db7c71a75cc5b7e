// What a well-behaved client does, with the assertions every e2e test shares. Every request names
// its client address (`CF-Connecting-IP`, which wrangler dev passes through): per-IP budgets are
// part of what is tested, so each test picks its own addresses.
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";

/** One request; the body is parsed when the answer is JSON (problem+json included). */
export async function call(base, method, path, { ip, token, body, headers = {} } = {}) {
  assert.ok(ip, "every e2e request names its client address");
  const sent = { "CF-Connecting-IP": ip, ...headers };
  if (token) sent.Authorization = `Bearer ${token}`;
  if (body !== undefined) sent["Content-Type"] = "application/json";
  const response = await fetch(`${base}${path}`, {
    method,
    headers: sent,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  const json = /json/.test(response.headers.get("Content-Type") ?? "") && text !== "";
  return { status: response.status, headers: response.headers, body: json ? JSON.parse(text) : text };
}

/** A new account; its session JWT is the `token`. */
export async function register(base, ip) {
  const email = `e2e.${randomUUID()}@example.com`;
  const password = "an e2e passphrase, long enough";
  const answer = await call(base, "POST", "/v1/auth/register", { ip, body: { email, password } });
  assert.equal(answer.status, 201, `register: ${answer.status} ${JSON.stringify(answer.body)}`);
  await verifyEmail(base, ip, email);
  return { email, password, token: answer.body.token, user: answer.body.user };
}

/** Follows the verification link from /dev/outbox, as the owner of the address would. */
export async function verifyEmail(base, ip, email) {
  const outbox = await call(base, "GET", `/dev/outbox?to=${encodeURIComponent(email)}`, { ip });
  const mail = outbox.body.data.find((entry) => /verify your/i.test(entry.subject));
  const token = mail && /\?token=([A-Za-z0-9_-]+)/.exec(mail.text)?.[1];
  assert.ok(token, `no verification link mailed to ${email}`);
  const answer = await call(base, "POST", "/v1/auth/email/verify", { ip, body: { token } });
  assert.equal(answer.status, 204, `verify: ${answer.status} ${JSON.stringify(answer.body)}`);
}

/** An RFC 9457 problem with this status and code (API.md "Errors"). */
export function assertProblem(answer, status, code) {
  assert.ok(answer, "the server sent no HTTP answer at all");
  assert.equal(answer.status, status, `${answer.status} ${JSON.stringify(answer.body)}`);
  assert.match(answer.headers.get("Content-Type") ?? "", /^application\/problem\+json/);
  assert.equal(answer.body.code, code);
}
