import { describe, expect, it } from "vitest";
import { api, expectProblem, login, registerUser } from "../helpers/api";
import { readOutbox, tokenFromMail, waitForMail } from "../helpers/outbox";
import { insertSessions, liveSessionCount } from "../helpers/sessions";

const change = (token: string, currentPassword: string, newPassword: string) =>
  api("POST", "/v1/auth/password/change", { token, body: { currentPassword, newPassword } });

describe("POST /v1/auth/password/change", () => {
  it("changes the password, keeps this session, revokes the others, and mails a notice", async () => {
    const user = await registerUser();
    const other = await login(user.email, user.password);
    expect((await change(user.token, user.password, "a changed passphrase")).status).toBe(204);
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
    await expectProblem(await api("GET", "/v1/me", { token: other }), 401, "unauthorized");
    expect(await login(user.email, "a changed passphrase")).toEqual(expect.any(String));
    await waitForMail(user.email, /password was changed/i);
  });

  it("voids a reset link mailed before the change: it cannot set yet another password", async () => {
    const user = await registerUser();
    expect((await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } })).status).toBe(202);
    const resetToken = tokenFromMail(await waitForMail(user.email, /reset your/i));
    expect((await change(user.token, user.password, "a changed passphrase")).status).toBe(204);
    await expectProblem(
      await api("POST", "/v1/auth/password/reset", { body: { token: resetToken, password: "the attacker's choice" } }),
      400,
      "invalid_token",
    );
    expect(await login(user.email, "a changed passphrase")).toEqual(expect.any(String));
  });

  it("cannot be jammed: with 10,001 other sessions it answers 204, keeps this one, and every other is refused", async () => {
    const user = await registerUser();
    await insertSessions(user.id, 10_001);
    const other = await login(user.email, user.password);
    const refreshed = (await (await api("POST", "/v1/auth/refresh", { token: user.token })).json()) as {
      token: string;
    };
    // The current session is the refreshed one's: same session, a newer token.
    expect((await change(refreshed.token, user.password, "a changed passphrase")).status).toBe(204);
    expect((await api("GET", "/v1/me", { token: refreshed.token })).status).toBe(200);
    await expectProblem(await api("GET", "/v1/me", { token: other }), 401, "unauthorized");
    expect(await liveSessionCount(user.id)).toBe(1);
    const fresh = await login(user.email, "a changed passphrase");
    expect((await api("GET", "/v1/me", { token: fresh })).status).toBe(200);
    // A later logout-all from the new session ends the kept one too.
    expect((await api("POST", "/v1/auth/logout-all", { token: fresh })).status).toBe(204);
    await expectProblem(await api("GET", "/v1/me", { token: refreshed.token }), 401, "unauthorized");
  });

  it("answers a wrong current password with 401 and changes nothing", async () => {
    const user = await registerUser();
    const other = await login(user.email, user.password);
    await expectProblem(
      await change(user.token, "not my password", "a changed passphrase"),
      401,
      "invalid_credentials",
    );
    expect((await api("GET", "/v1/me", { token: other })).status).toBe(200);
    expect(await login(user.email, user.password)).toEqual(expect.any(String));
  });

  it("ten wrong current passwords lock the account (423) and mail its owner exactly once", async () => {
    const user = await registerUser();
    for (let index = 0; index < 10; index++) {
      await expectProblem(
        await change(user.token, `guess ${index}`, "a changed passphrase"),
        401,
        "invalid_credentials",
      );
    }
    await expectProblem(await change(user.token, user.password, "a changed passphrase"), 423, "account_locked");
    const lockMails = (await readOutbox(user.email)).filter((mail) => /locked/i.test(mail.subject));
    expect(lockMails).toHaveLength(1);
    expect(lockMails[0]?.text).toContain("/reset-password?token=");
  });

  it("twelve concurrent wrong current passwords lock the account and send exactly one lockout mail", async () => {
    const user = await registerUser();
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, index) => change(user.token, `racing guess ${index}`, "a changed passphrase")),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([...Array(10).fill(401), 423, 423]);
    const lockMails = (await readOutbox(user.email)).filter((mail) => /locked/i.test(mail.subject));
    expect(lockMails).toHaveLength(1);
  });

  it.each(["password", "qwertyuiop", "iloveyou", "PASSWORD1"])("refuses the common password %s", async (common) => {
    const user = await registerUser();
    const problem = await expectProblem(await change(user.token, user.password, common), 400, "validation_failed");
    expect(problem.errors).toEqual([{ path: "newPassword", message: expect.stringMatching(/most common passwords/) }]);
  });
});

describe("common passwords at registration", () => {
  it.each(["12345678", "password1", "football"])("refuses %s with a reason", async (common) => {
    const response = await api("POST", "/v1/auth/register", { body: { email: "c@example.com", password: common } });
    const problem = await expectProblem(response, 400, "validation_failed");
    expect(problem.errors?.[0]?.message).toMatch(/most common passwords/);
  });
});
