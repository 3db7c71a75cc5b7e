// ASVS 5.0 V16.2: the suite-wide leak guard (leak-guard.setup.ts) can fail. It sees the Worker's
// own log lines and the audit rows, and it reports a secret written to either.
import { expect, it, vi } from "vitest";
import { api, env, registerUser } from "../helpers/api";
import { capturedLines } from "../helpers/log-capture";
import { forgetSecret, knownSecrets } from "../helpers/secret-registry";
import { findLeaks } from "./leak-guard.setup";

it("captures the Worker's log lines and remembers the secrets the suite used", async () => {
  const user = await registerUser();
  expect((await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } })).status).toBe(202);
  // The Worker's development notice (src/services/mailer.ts), written inside the Worker, after the response.
  await vi.waitFor(() => expect(capturedLines().some((line) => line.includes("mail stored in the outbox"))).toBe(true));
  expect(knownSecrets()).toEqual(expect.arrayContaining([user.password, user.token, env.JWT_SECRET]));
});

it("reports a secret found in a log line or an audit row, then the guard passes again once it is gone", async () => {
  const user = await registerUser();
  const marker = crypto.randomUUID();
  console.log(`${marker} ${user.password}`);
  await env.DB.prepare("INSERT INTO audit_log (id, type, created_at, metadata) VALUES (?, 'probe', ?, ?)")
    .bind(`aud_${marker}`, Date.now(), JSON.stringify({ leaked: user.token }))
    .run();
  const leaks = await findLeaks();
  expect(leaks).toContainEqual(expect.stringContaining("in log lines"));
  expect(leaks).toContainEqual(expect.stringContaining("in audit rows"));
  // The planted secrets are judged here; forgotten, they do not fail this file's own guard.
  forgetSecret(user.password);
  forgetSecret(user.token);
  expect(await findLeaks()).toEqual([]);
});
