// OWASP API3:2023 excessive data exposure; ASVS 5.0 V14.2 (sensitive data not in responses).
import { describe, expect, it } from "vitest";
import { api, env, registerUser } from "../helpers/api";

describe("responses", () => {
  it("never contain a password hash or the password", async () => {
    const user = await registerUser();
    const { results } = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?").bind(user.id).all<{
      password_hash: string;
    }>();
    const hash = results[0]?.password_hash as string;
    expect(hash).toMatch(/^\$2[aby]\$10\$/);

    const responses = await Promise.all([
      api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } }),
      api("POST", "/v1/auth/login", { body: { email: user.email, password: "wrong password" } }),
      api("GET", "/v1/me", { token: user.token }),
      api("PATCH", "/v1/me", { token: user.token, body: { name: "x" } }),
      api("GET", "/v1/sessions", { token: user.token }),
      api("POST", "/v1/auth/register", { body: { email: user.email, password: user.password } }),
      api("GET", "/openapi.json"),
    ]);
    for (const response of responses) {
      const text = `${[...response.headers].join("\n")}\n${await response.text()}`;
      expect(text).not.toContain(hash);
      expect(text).not.toMatch(/\$2[aby]\$\d\d\$/);
      expect(text).not.toContain(user.password);
    }
  });
});
