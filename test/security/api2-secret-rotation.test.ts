// OWASP API2:2023, API8:2023; ASVS 5.0 V9.1.2 (key identifiers), V13.3 (secret management: rotation
// without downtime, weak or missing secrets refused).
import { describe, expect, it } from "vitest";
import { env, expectProblem, uniqueEmail } from "../helpers/api";
import { fetchWithEnv } from "../helpers/custom-env";

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
