import * as OTPAuth from "otpauth";
import { describe, expect, it } from "vitest";
import { matchTotpStep } from "../../src/domain/totp";
import { api, env, expectProblem, login, type RegisteredUser, registerUser } from "../helpers/api";
import { asOperator } from "../helpers/operator";
import { readOutbox, tokenFromMail, waitForMail } from "../helpers/outbox";
import { awayFromStepBoundary, codeAt } from "../helpers/totp";

/** Three distinct codes the server accepts now (the previous, current and next 30 s step). */
const codes = (secret: string) => ({
  previous: codeAt(secret, Date.now() - 30_000),
  current: codeAt(secret, Date.now()),
  next: codeAt(secret, Date.now() + 30_000),
});

async function enableTwoFactor(user: RegisteredUser) {
  await awayFromStepBoundary();
  const enrolled = await api("POST", "/v1/me/2fa/totp", { token: user.token, body: { password: user.password } });
  expect(enrolled.status).toBe(200);
  const { secret, otpauthUri } = (await enrolled.json()) as { secret: string; otpauthUri: string };
  const confirmed = await api("POST", "/v1/me/2fa/totp/confirm", {
    token: user.token,
    body: { code: codeAt(secret, Date.now() - 30_000) },
  });
  expect(confirmed.status).toBe(200);
  const { backupCodes } = (await confirmed.json()) as { backupCodes: string[] };
  return { secret, otpauthUri, backupCodes };
}

async function passwordStep(user: RegisteredUser) {
  const response = await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } });
  expect(response.status).toBe(200);
  const body = (await response.json()) as { mfaRequired: true; mfaToken: string };
  expect(body.mfaRequired).toBe(true);
  return body.mfaToken;
}

const mfaStep = (mfaToken: string, proof: { code?: string; backupCode?: string }) =>
  api("POST", "/v1/auth/login/mfa", { body: { mfaToken, ...proof } });

describe("TOTP as wired (RFC 6238 Appendix B, SHA-1, last 6 digits)", () => {
  const secret = OTPAuth.Secret.fromLatin1("12345678901234567890").base32;
  it.each([
    [59, "287082", 1],
    [1111111109, "081804", 37037036],
    [1234567890, "005924", 41152263],
    [2000000000, "279037", 66666666],
  ])("at T=%i the code is %s (step %i)", (seconds, code, step) => {
    expect(matchTotpStep(secret, code, seconds * 1000)).toBe(step);
    expect(matchTotpStep(secret, "000000", seconds * 1000)).toBeNull();
  });
});

describe("enrolment", () => {
  it("needs the password, shows the secret once, confirms with the right code only, and returns 10 backup codes", async () => {
    const user = await registerUser();
    await expectProblem(
      await api("POST", "/v1/me/2fa/totp", { token: user.token, body: { password: "wrong one" } }),
      401,
      "invalid_credentials",
    );
    const enrolled = await api("POST", "/v1/me/2fa/totp", { token: user.token, body: { password: user.password } });
    const { secret, otpauthUri } = (await enrolled.json()) as { secret: string; otpauthUri: string };
    expect(otpauthUri).toMatch(/^otpauth:\/\/totp\/ImageBot:.+\?.*secret=/);
    expect(otpauthUri).toContain("algorithm=SHA1");
    expect(otpauthUri).toContain("digits=6");
    expect(otpauthUri).toContain("period=30");

    const wrong = await api("POST", "/v1/me/2fa/totp/confirm", { token: user.token, body: { code: "123456" } });
    const problem = await expectProblem(wrong, 400, "validation_failed");
    expect(problem.errors?.[0]?.path).toBe("code");
    const right = await api("POST", "/v1/me/2fa/totp/confirm", {
      token: user.token,
      body: { code: codeAt(secret, Date.now()) },
    });
    const { backupCodes } = (await right.json()) as { backupCodes: string[] };
    expect(backupCodes).toHaveLength(10);
    expect(new Set(backupCodes).size).toBe(10);
    // 16 characters of Crockford base32 (5 bits each): 80 random bits per code, at least the 64 asked.
    for (const code of backupCodes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);

    const row = await env.DB.prepare("SELECT secret_ciphertext FROM user_mfa WHERE user_id = ?")
      .bind(user.id)
      .first<{ secret_ciphertext: string }>();
    expect(row?.secret_ciphertext).not.toContain(secret);
    const hashes = JSON.stringify((await env.DB.prepare("SELECT * FROM mfa_backup_codes").all()).results);
    for (const code of backupCodes) expect(hashes).not.toContain(code);
    await expectProblem(
      await api("POST", "/v1/me/2fa/totp", { token: user.token, body: { password: user.password } }),
      409,
      "conflict",
    );
  });
});

describe("turning 2FA on can end the other sessions", () => {
  async function confirmWith(user: RegisteredUser, extra: Record<string, unknown>) {
    await awayFromStepBoundary();
    const enrolled = await api("POST", "/v1/me/2fa/totp", { token: user.token, body: { password: user.password } });
    const { secret } = (await enrolled.json()) as { secret: string };
    return api("POST", "/v1/me/2fa/totp/confirm", {
      token: user.token,
      body: { code: codeAt(secret, Date.now()), ...extra },
    });
  }

  it("with endOtherSessions: true, a session a thief opened before 2FA dies; this one lives; audited", async () => {
    const user = await registerUser();
    const thief = await login(user.email, user.password);
    const another = await login(user.email, user.password);
    expect((await confirmWith(user, { endOtherSessions: true })).status).toBe(200);
    for (const token of [thief, another]) {
      await expectProblem(await api("GET", "/v1/me", { token }), 401, "unauthorized");
    }
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    const sessions = (await (await api("GET", "/v1/sessions", { token: user.token })).json()) as {
      data: { current: boolean }[];
    };
    expect(sessions.data.map((session) => session.current)).toEqual([true]);
    const row = await env.DB.prepare("SELECT metadata FROM audit_log WHERE user_id = ? AND type = 'mfa.enabled'")
      .bind(user.id)
      .first<{ metadata: string }>();
    expect(JSON.parse(row?.metadata ?? "{}")).toMatchObject({ otherSessionsEnded: true });
  });

  it("without it (the API's default), the other sessions are kept", async () => {
    const user = await registerUser();
    const other = await login(user.email, user.password);
    expect((await confirmWith(user, {})).status).toBe(200);
    expect((await api("GET", "/v1/me", { token: other })).status).toBe(200);
    const row = await env.DB.prepare("SELECT metadata FROM audit_log WHERE user_id = ? AND type = 'mfa.enabled'")
      .bind(user.id)
      .first<{ metadata: string }>();
    expect(JSON.parse(row?.metadata ?? "{}")).toEqual({ otherSessionsEnded: false });
  });
});

describe("login with 2FA on", () => {
  it("needs a code; the mfaToken and each code work once", async () => {
    const user = await registerUser();
    const { secret } = await enableTwoFactor(user);
    const { current, next } = codes(secret);

    const mfaToken = await passwordStep(user);
    const done = await mfaStep(mfaToken, { code: current });
    expect(done.status).toBe(200);
    const { token } = (await done.json()) as { token: string };
    expect((await api("GET", "/v1/me", { token })).status).toBe(200);

    await expectProblem(await mfaStep(mfaToken, { code: next }), 401, "unauthorized");
    await expectProblem(await mfaStep(await passwordStep(user), { code: current }), 401, "invalid_credentials");
    expect((await mfaStep(await passwordStep(user), { code: next })).status).toBe(200);
  });

  it("a session token is no mfaToken, and an mfaToken is no session token", async () => {
    const user = await registerUser();
    const { secret } = await enableTwoFactor(user);
    await expectProblem(await mfaStep(user.token, { code: codes(secret).current }), 401, "unauthorized");
    await expectProblem(await api("GET", "/v1/me", { token: await passwordStep(user) }), 401, "unauthorized");
  });

  it("a backup code works once and mails the owner", async () => {
    const user = await registerUser();
    const { backupCodes } = await enableTwoFactor(user);
    const backupCode = backupCodes[0] as string;
    expect((await mfaStep(await passwordStep(user), { backupCode: backupCode.toUpperCase() })).status).toBe(200);
    await expectProblem(await mfaStep(await passwordStep(user), { backupCode }), 401, "invalid_credentials");
    await waitForMail(user.email, /backup code/i);
  });

  it("wrong codes count as failed logins: ten lock the account, even with the right password, and mail the owner once", async () => {
    const user = await registerUser();
    await enableTwoFactor(user);
    for (let index = 0; index < 10; index++) {
      await expectProblem(await mfaStep(await passwordStep(user), { code: "000000" }), 401, "invalid_credentials");
    }
    const locked = await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } });
    await expectProblem(locked, 423, "account_locked");
    const lockMails = (await readOutbox(user.email)).filter((mail) => /locked/i.test(mail.subject));
    expect(lockMails).toHaveLength(1);
    expect(lockMails[0]?.text).toContain("/reset-password?token=");
  });

  it("wrong backup codes lock the account like wrong TOTP codes, and the lock is mailed", async () => {
    const user = await registerUser();
    await enableTwoFactor(user);
    for (let index = 0; index < 10; index++) {
      const wrong = await mfaStep(await passwordStep(user), { backupCode: `nope-${index}-nope` });
      await expectProblem(wrong, 401, "invalid_credentials");
    }
    await expectProblem(
      await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } }),
      423,
      "account_locked",
    );
    expect((await readOutbox(user.email)).filter((mail) => /locked/i.test(mail.subject))).toHaveLength(1);
  });

  it("a password reset keeps 2FA on", async () => {
    const user = await registerUser();
    await enableTwoFactor(user);
    await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } });
    const token = tokenFromMail(await waitForMail(user.email, /reset your/i));
    expect(
      (await api("POST", "/v1/auth/password/reset", { body: { token, password: "a new reset passphrase" } })).status,
    ).toBe(204);
    const response = await api("POST", "/v1/auth/login", {
      body: { email: user.email, password: "a new reset passphrase" },
    });
    expect(await response.json()).toMatchObject({ mfaRequired: true });
  });
});

describe("changes that need a fresh code", () => {
  it("turning 2FA off needs the password and a code, and mails the owner", async () => {
    const user = await registerUser();
    const { secret } = await enableTwoFactor(user);
    const { current } = codes(secret);
    await expectProblem(
      await api("DELETE", "/v1/me/2fa", { token: user.token, body: { password: user.password, code: "000000" } }),
      401,
      "invalid_credentials",
    );
    await expectProblem(
      await api("DELETE", "/v1/me/2fa", { token: user.token, body: { password: "wrong", code: current } }),
      401,
      "invalid_credentials",
    );
    expect(
      (await api("DELETE", "/v1/me/2fa", { token: user.token, body: { password: user.password, code: current } }))
        .status,
    ).toBe(204);
    await waitForMail(user.email, /turned off/i);
    expect(await login(user.email, user.password)).toEqual(expect.any(String));
  });

  it("an email change needs a code while 2FA is on", async () => {
    const user = await registerUser();
    const { secret } = await enableTwoFactor(user);
    const email = `moved.${crypto.randomUUID()}@example.com`;
    const missing = await api("PATCH", "/v1/me", {
      token: user.token,
      body: { email, currentPassword: user.password },
    });
    expect((await expectProblem(missing, 400, "validation_failed")).errors?.[0]?.path).toBe("code");
    const wrong = await api("PATCH", "/v1/me", {
      token: user.token,
      body: { email, currentPassword: user.password, code: "000000" },
    });
    await expectProblem(wrong, 401, "invalid_credentials");
    const right = await api("PATCH", "/v1/me", {
      token: user.token,
      body: { email, currentPassword: user.password, code: codes(secret).current },
    });
    expect(right.status).toBe(200);
  });

  it("a stolen password alone cannot erase an account with 2FA on: no code is 400, a wrong one 401 and counted", async () => {
    const user = await registerUser();
    const { secret } = await enableTwoFactor(user);
    const erase = (body: Record<string, unknown>) => api("DELETE", "/v1/account", { token: user.token, body });

    const missing = await erase({ password: user.password });
    expect((await expectProblem(missing, 400, "validation_failed")).errors?.[0]?.path).toBe("code");
    await expectProblem(await erase({ password: user.password, code: "000000" }), 401, "invalid_credentials");
    await expectProblem(await erase({ password: user.password, backupCode: "nope-nope" }), 401, "invalid_credentials");
    // A right code with a wrong password is refused too.
    const { current } = codes(secret);
    await expectProblem(await erase({ password: "wrong", code: current }), 401, "invalid_credentials");
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    // Counted as failed logins: with the 3 above, 7 more wrong codes lock the account (10).
    for (let index = 0; index < 7; index++) {
      await expectProblem(await erase({ password: user.password, code: "000000" }), 401, "invalid_credentials");
    }
    await expectProblem(await erase({ password: user.password, code: current }), 423, "account_locked");
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
  });

  it("with 2FA on, the password and a code (or a backup code) erase the account", async () => {
    const user = await registerUser();
    const { backupCodes } = await enableTwoFactor(user);
    const erased = await api("DELETE", "/v1/account", {
      token: user.token,
      body: { password: user.password, backupCode: backupCodes[0] },
    });
    expect(erased.status).toBe(204);
    await expectProblem(await api("GET", "/v1/me", { token: user.token }), 401, "unauthorized");
  });

  it("the operator can clear 2FA (audited, owner mailed)", async () => {
    const user = await registerUser();
    await enableTwoFactor(user);
    expect((await asOperator("DELETE", `/v1/admin/users/${user.id}/2fa`)).status).toBe(204);
    expect(await login(user.email, user.password)).toEqual(expect.any(String));
    const row = await env.DB.prepare("SELECT metadata FROM audit_log WHERE user_id = ? AND type = 'mfa.disabled'")
      .bind(user.id)
      .first<{ metadata: string }>();
    expect(JSON.parse(row?.metadata ?? "{}")).toEqual({ by: "operator" });
  });
});

describe("secrets", () => {
  it("the TOTP secret and backup codes appear in no other response, audit row or export", async () => {
    const user = await registerUser();
    const { secret, backupCodes } = await enableTwoFactor(user);
    const responses = [
      await api("GET", "/v1/me", { token: user.token }),
      await api("GET", "/v1/account/export", { token: user.token }),
      await api("GET", "/v1/audit-log", { token: user.token }),
    ];
    const audit = JSON.stringify((await env.DB.prepare("SELECT * FROM audit_log").all()).results);
    const outbox = JSON.stringify(await readOutbox(user.email));
    for (const text of [...(await Promise.all(responses.map((response) => response.text()))), audit, outbox]) {
      expect(text).not.toContain(secret);
      for (const code of backupCodes) expect(text).not.toContain(code);
    }
    const types = JSON.parse(audit).map((row: { type: string }) => row.type);
    expect(types).toContain("mfa.enabled");
  });
});
