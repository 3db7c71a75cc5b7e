import { env } from "cloudflare:workers";
import { expect } from "vitest";
import { api, type RegisteredUser } from "./api";
import { SoftAuthenticator } from "./passkey-authenticator";

export interface PasskeyBody {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt: string | null;
}

export async function registrationOptions(
  user: RegisteredUser,
  body: Record<string, unknown> = { password: user.password },
) {
  const response = await api("POST", "/v1/me/passkeys/registration-options", { token: user.token, body });
  expect(response.status).toBe(200);
  return (await response.json()) as { challenge: string; rp: { id: string }; user: { id: string } };
}

/** Adds a passkey held by `authenticator` to `user`'s account, the way the console does. */
export async function addPasskey(user: RegisteredUser, authenticator = new SoftAuthenticator(), name = "Laptop") {
  const options = await registrationOptions(user);
  const created = await api("POST", "/v1/me/passkeys", {
    token: user.token,
    body: { response: await authenticator.register(options), name },
  });
  expect(created.status).toBe(201);
  return { authenticator, passkey: (await created.json()) as PasskeyBody };
}

export async function signInOptions(ip?: string) {
  const response = await api("POST", "/v1/auth/passkey/options", ip ? { ip } : {});
  expect(response.status).toBe(200);
  return (await response.json()) as { challengeId: string; options: { challenge: string; rpId: string } };
}

/** A whole passkey sign-in: options, the authenticator's assertion, and the sign-in request. */
export async function signInWithPasskey(
  authenticator: SoftAuthenticator,
  options: { ip?: string; session?: "bearer" | "cookie"; headers?: Record<string, string> } = {},
) {
  const { challengeId, options: requestOptions } = await signInOptions(options.ip);
  return api("POST", "/v1/auth/passkey", {
    ...(options.ip ? { ip: options.ip } : {}),
    headers: options.headers,
    body: {
      challengeId,
      response: await authenticator.assert(requestOptions),
      ...(options.session ? { session: options.session } : {}),
    },
  });
}

/**
 * A passkey row written straight into D1 (no WebAuthn): for tests about who may see, rename or
 * remove it, where how it was registered does not matter. It cannot sign in (its key is no key).
 */
export async function insertPasskeyRow(userId: string, name = "Inserted"): Promise<string> {
  const id = `pk_${crypto.randomUUID().replaceAll("-", "")}`;
  await env.DB.prepare(
    "INSERT INTO passkeys (id, user_id, credential_id, public_key, counter, transports, name, created_at) VALUES (?, ?, ?, 'AA', 0, '[]', ?, ?)",
  )
    .bind(id, userId, crypto.randomUUID(), name, Date.now())
    .run();
  return id;
}
