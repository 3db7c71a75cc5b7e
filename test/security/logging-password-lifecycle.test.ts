// ASVS 5.0 V16.2.5 (no credentials in logs), V16.3 (audit events); OWASP API8:2023. A focused case of
// the suite-wide leak guard (leak-guard.setup.ts): the whole password lifecycle, hashes included.
import { describe, expect, it, vi } from "vitest";
import { api, env, login, randomIp, registerUser } from "../helpers/api";
import { tokenFromMail, waitForMail } from "../helpers/outbox";

describe("secrets in logs and audit rows", () => {
  it("no password, token, reset token or hash appears in any log line or audit row of the password lifecycle", async () => {
    const lines: string[] = [];
    const capture = (...args: unknown[]) => lines.push(args.map(String).join(" "));
    const spies = (["log", "info", "warn", "error", "debug"] as const).map((level) =>
      vi.spyOn(console, level).mockImplementation(capture),
    );
    const secrets: string[] = [];
    try {
      const user = await registerUser();
      secrets.push(user.password, user.token);
      const session = await login(user.email, user.password, randomIp());
      secrets.push(session);
      const wrong = "a wrong guess for the log test";
      secrets.push(wrong);
      for (let index = 0; index < 10; index++) {
        await api("POST", "/v1/auth/login", { body: { email: user.email, password: wrong }, ip: randomIp() });
      }
      const resetToken = tokenFromMail(await waitForMail(user.email, /locked/i));
      secrets.push(resetToken);
      const newPassword = "the log test's new passphrase";
      secrets.push(newPassword);
      expect(
        (await api("POST", "/v1/auth/password/reset", { body: { token: resetToken, password: newPassword } })).status,
      ).toBe(204);
      const fresh = await login(user.email, newPassword, randomIp());
      secrets.push(fresh);
      const changed = "the log test's changed passphrase";
      secrets.push(changed);
      await api("POST", "/v1/auth/password/change", {
        token: fresh,
        body: { currentPassword: newPassword, newPassword: changed },
      });
      await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } });
      secrets.push(tokenFromMail(await waitForMail(user.email, /reset your/i)));
    } finally {
      for (const spy of spies) spy.mockRestore();
    }

    const { results: audit } = await env.DB.prepare("SELECT * FROM audit_log").all();
    const { results: hashes } = await env.DB.prepare("SELECT password_hash FROM users").all<{
      password_hash: string;
    }>();
    const { results: resetHashes } = await env.DB.prepare("SELECT token_hash FROM password_reset_tokens").all<{
      token_hash: string;
    }>();
    secrets.push(...hashes.map((row) => row.password_hash), ...resetHashes.map((row) => row.token_hash));
    const haystack = `${lines.join("\n")}\n${JSON.stringify(audit)}`;
    expect(audit.length).toBeGreaterThan(10);
    for (const secret of secrets) expect(haystack).not.toContain(secret);
    for (const jwt of secrets.filter((secret) => secret.startsWith("eyJ"))) {
      expect(haystack).not.toContain(jwt.split(".")[2]);
    }
  });
});
