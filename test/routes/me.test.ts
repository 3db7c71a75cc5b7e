import { describe, expect, it } from "vitest";
import { api, expectProblem, linkTokenMailedTo, login, registerUser, uniqueEmail } from "../helpers/api";
import { userWithTwoFactor } from "../helpers/totp";

async function confirmEmailChange(newEmail: string) {
  const token = await linkTokenMailedTo(newEmail, /confirm your new/i);
  expect((await api("POST", "/v1/auth/email/verify", { body: { token } })).status).toBe(204);
}

describe("GET /v1/me", () => {
  it("returns the user's public fields only", async () => {
    const user = await registerUser({ name: "Grace" });
    const response = await api("GET", "/v1/me", { token: user.token });
    expect(response.status).toBe(200);
    expect(response.headers.get("Cache-Control")).toBe("no-store");
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id: user.id,
      email: user.email,
      name: "Grace",
      plan: "standard",
      createdAt: expect.any(String),
      emailVerified: true,
      pendingEmail: null,
      twoFactorEnabled: false,
    });
  });

  it("says whether 2FA is on (the console shows the right 2FA form)", async () => {
    const { user } = await userWithTwoFactor();
    expect(await (await api("GET", "/v1/me", { token: user.token })).json()).toMatchObject({ twoFactorEnabled: true });
  });

  it("says whether the email is verified", async () => {
    const user = await registerUser({ verified: false });
    expect(await (await api("GET", "/v1/me", { token: user.token })).json()).toMatchObject({
      emailVerified: false,
      pendingEmail: null,
    });
  });
});

describe("PATCH /v1/me", () => {
  it("changes the name", async () => {
    const user = await registerUser();
    const response = await api("PATCH", "/v1/me", { token: user.token, body: { name: "  New Name " } });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ name: "New Name", email: user.email });
  });

  it("needs the current password to change the email", async () => {
    const user = await registerUser();
    const problem = await expectProblem(
      await api("PATCH", "/v1/me", { token: user.token, body: { email: uniqueEmail() } }),
      400,
      "validation_failed",
    );
    expect(problem.errors).toEqual([{ path: "currentPassword", message: expect.any(String) }]);
  });

  it("refuses an email change with a wrong current password and keeps the old email", async () => {
    const user = await registerUser();
    const response = await api("PATCH", "/v1/me", {
      token: user.token,
      body: { email: uniqueEmail(), currentPassword: "not the password" },
    });
    await expectProblem(response, 401, "invalid_credentials");
    expect(await (await api("GET", "/v1/me", { token: user.token })).json()).toMatchObject({ email: user.email });
  });

  it("changes the email once the new address confirms it; the new email logs in, the old does not", async () => {
    const user = await registerUser();
    const newEmail = uniqueEmail("moved");
    const response = await api("PATCH", "/v1/me", {
      token: user.token,
      body: { email: newEmail.toUpperCase(), currentPassword: user.password },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ email: user.email, pendingEmail: newEmail });
    await confirmEmailChange(newEmail);
    expect(await (await api("GET", "/v1/me", { token: user.token })).json()).toMatchObject({
      email: newEmail,
      emailVerified: true,
      pendingEmail: null,
    });
    expect(await login(newEmail, user.password)).toEqual(expect.any(String));
    const old = await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } });
    await expectProblem(old, 401, "invalid_credentials");
  });

  it("refuses an email that another account has", async () => {
    const user = await registerUser();
    const other = await registerUser();
    const response = await api("PATCH", "/v1/me", {
      token: user.token,
      body: { email: other.email, currentPassword: user.password },
    });
    await expectProblem(response, 409, "email_taken");
  });

  it.each([
    ["plan", "enterprise"],
    ["id", "usr_attacker"],
    ["passwordHash", "$2a$10$abc"],
    ["rateLimitPerMinute", 100000],
    ["emailVerified", true],
  ])("refuses mass assignment of %s with 400 and changes nothing", async (field, value) => {
    const user = await registerUser();
    const problem = await expectProblem(
      await api("PATCH", "/v1/me", { token: user.token, body: { name: "x", [field]: value } }),
      400,
      "validation_failed",
    );
    expect(problem.errors?.map((error) => error.path)).toEqual([field]);
    expect(await (await api("GET", "/v1/me", { token: user.token })).json()).toMatchObject({
      id: user.id,
      plan: "standard",
      name: null,
    });
  });
});
