// OWASP API2:2023, API8:2023; ASVS 5.0 V9.1.2 (key identifiers), V13.3 (secret management: rotation
// without downtime, weak or missing secrets refused).
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { api, env, expectProblem, type RegisteredUser, registerUser, uniqueEmail } from "../helpers/api";
import { fetchWithEnv } from "../helpers/custom-env";
import { awayFromStepBoundary, codeAt, enrollTwoFactor, userWithTwoFactor } from "../helpers/totp";

const beforeRotation = () => ({ JWT_SECRET: env.JWT_SECRET_PREVIOUS, JWT_SECRET_PREVIOUS: undefined });
const afterRotation = () => ({ JWT_SECRET: env.JWT_SECRET, JWT_SECRET_PREVIOUS: env.JWT_SECRET_PREVIOUS });
const afterPreviousDropped = () => ({ JWT_SECRET: env.JWT_SECRET, JWT_SECRET_PREVIOUS: undefined });

function me(token: string) {
  return new Request("https://edge.test/v1/me", { headers: { Authorization: `Bearer ${token}` } });
}

async function registerUnder(overrides: Record<string, unknown>) {
  const response = await fetchWithEnv(
    overrides,
    new Request("https://edge.test/v1/auth/register", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ email: uniqueEmail("rotation"), password: "rotation password" }),
    }),
  );
  expect(response.status).toBe(201);
  return ((await response.json()) as { token: string }).token;
}

describe("JWT_SECRET rotation", () => {
  it("keeps a token signed with the previous secret working after rotation", async () => {
    const token = await registerUnder(beforeRotation());
    expect((await fetchWithEnv(afterRotation(), me(token))).status).toBe(200);
  });

  it("signs new tokens with the current secret only", async () => {
    const token = await registerUnder(afterRotation());
    expect((await fetchWithEnv(afterPreviousDropped(), me(token))).status).toBe(200);
  });

  it("rejects a token of a secret that is no longer configured", async () => {
    const token = await registerUnder(beforeRotation());
    await expectProblem(await fetchWithEnv(afterPreviousDropped(), me(token)), 401, "unauthorized");
  });
});

describe("rotating TOTP_ENCRYPTION_KEY", () => {
  const newKey = randomBytes(48).toString("base64url");
  const rotated = () => ({ TOTP_ENCRYPTION_KEY: newKey, TOTP_ENCRYPTION_KEY_PREVIOUS: env.TOTP_ENCRYPTION_KEY });
  const previousDropped = () => ({ TOTP_ENCRYPTION_KEY: newKey, TOTP_ENCRYPTION_KEY_PREVIOUS: undefined });
  const sealedSeed = async (userId: string) =>
    (await env.DB.prepare("SELECT secret_ciphertext AS sealed FROM user_mfa WHERE user_id = ?").bind(userId).first())
      ?.sealed as string;

  const post = (overrides: Record<string, unknown>, path: string, body: unknown) =>
    fetchWithEnv(
      overrides,
      new Request(`https://edge.test${path}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      }),
    );
  async function signInWithCode(overrides: Record<string, unknown>, user: RegisteredUser, code: string) {
    const first = await post(overrides, "/v1/auth/login", { email: user.email, password: user.password });
    const { mfaToken } = (await first.json()) as { mfaToken: string };
    return post(overrides, "/v1/auth/login/mfa", { mfaToken, code });
  }

  it("keeps 2FA sign-in working: a seed sealed under the previous key opens and is re-sealed under the new one", async () => {
    await awayFromStepBoundary(12_000);
    const user = await registerUser();
    const secret = await enrollTwoFactor(user);
    // Confirmed with the previous step's code, so this step's and the next one's remain for two sign-ins.
    const confirmed = await api("POST", "/v1/me/2fa/totp/confirm", {
      token: user.token,
      body: { code: codeAt(secret, Date.now() - 30_000) },
    });
    expect(confirmed.status).toBe(200);
    const sealedBefore = await sealedSeed(user.id);

    const during = await signInWithCode(rotated(), user, codeAt(secret, Date.now()));
    expect(during.status).toBe(200);
    const sealedAfter = await sealedSeed(user.id);
    expect(sealedAfter).not.toBe(sealedBefore);
    // Each sealed value names its key: the re-sealed one no longer names the retired key.
    expect(sealedAfter.split(".")[1]).not.toBe(sealedBefore.split(".")[1]);

    // Once re-sealed, the previous key can go: the seed opens with the new key alone.
    const after = await signInWithCode(previousDropped(), user, codeAt(secret, Date.now() + 30_000));
    expect(after.status).toBe(200);
  });

  it("answers a seed sealed under a key that is no longer configured with 500 server_misconfigured, never a crash", async () => {
    const { user, secret } = await userWithTwoFactor();
    await expectProblem(
      await signInWithCode(previousDropped(), user, codeAt(secret, Date.now() + 30_000)),
      500,
      "server_misconfigured",
    );
  });
});
