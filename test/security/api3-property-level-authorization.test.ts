// OWASP API3:2023 broken object property level authorisation (mass assignment, excessive data
// exposure); ASVS 5.0 V8.2.3 (field-level access), V15.3.3 (mass assignment), V14.2 (sensitive
// data not in responses). Every writable object refuses fields a client may not set, and keeps
// its state; no response, however reached, carries a hash, a stored secret or a password.
import { beforeAll, describe, expect, it } from "vitest";
import { api, env, expectProblem, login, type RegisteredUser, registerUser, uniqueEmail } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { createCollection, createImage, createTeam } from "../helpers/fixtures";
import { asOperator } from "../helpers/operator";
import { addMember } from "../helpers/teams";

const privileged = {
  id: "usr_attacker000000000000",
  userId: "usr_attacker000000000000",
  ownerId: "usr_attacker000000000000",
  teamId: "team_attacker00000000000",
  plan: "enterprise",
  role: "owner",
  rateLimitPerMinute: 100_000,
  emailVerified: true,
  isAdmin: true,
  passwordHash: "$2b$10$abcdefghijklmnopqrstuv",
  createdAt: "2000-01-01T00:00:00.000Z",
  deletedAt: null,
  revokedAt: null,
  keyHash: "0".repeat(64),
};

let alice: RegisteredUser;
let bob: RegisteredUser;
let objects: { imageId: string; collectionId: string; teamId: string; keyId: string };

beforeAll(async () => {
  [alice, bob] = await Promise.all([registerUser({ name: "Alice" }), registerUser()]);
  // Many writes in a row: lift Alice's per-user limit so a 429 cannot stand in for a refusal.
  const lifted = await asOperator("PATCH", `/v1/admin/users/${alice.id}`, {
    body: { plan: "enterprise", rateLimitPerMinute: 10_000 },
  });
  expect(lifted.status).toBe(200);
  objects = {
    imageId: (await createImage(alice.token)).id,
    collectionId: (await createCollection(alice.token, { name: "original" })).id,
    teamId: (await createTeam(alice.token, "original")).id,
    keyId: (await createKey(alice.token, { name: "original", scopes: ["read"] })).id,
  };
  await addMember(alice, objects.teamId, bob, "viewer");
});

/** Each writable route with one valid field, and how to read the object back as its owner. */
const writes = () => [
  { name: "PATCH /v1/me", method: "PATCH", path: "/v1/me", valid: { name: "Alice" }, read: "/v1/me" },
  {
    name: "PATCH /v1/images/{id}",
    method: "PATCH",
    path: `/v1/images/${objects.imageId}`,
    valid: { title: "original" },
    read: `/v1/images/${objects.imageId}`,
  },
  {
    name: "PATCH /v1/collections/{id}",
    method: "PATCH",
    path: `/v1/collections/${objects.collectionId}`,
    valid: { name: "original" },
    read: `/v1/collections/${objects.collectionId}`,
  },
  {
    name: "PATCH /v1/teams/{id}",
    method: "PATCH",
    path: `/v1/teams/${objects.teamId}`,
    valid: { name: "original" },
    read: `/v1/teams/${objects.teamId}`,
  },
  {
    name: "PATCH /v1/teams/{id}/members/{userId}",
    method: "PATCH",
    path: `/v1/teams/${objects.teamId}/members/${bob.id}`,
    valid: { role: "viewer" },
    read: `/v1/teams/${objects.teamId}/members`,
  },
];

describe("mass assignment", () => {
  for (const field of Object.keys(privileged)) {
    it(`every writable object refuses "${field}" with 400 and keeps its state`, async () => {
      // A field a route legitimately takes (a member's role) is tested by the role matrix instead.
      for (const write of writes().filter((write) => !(field in write.valid))) {
        const before = await (await api("GET", write.read, { token: alice.token })).text();
        const body = { ...write.valid, [field]: privileged[field as keyof typeof privileged] };
        const response = await api(write.method, write.path, { token: alice.token, body });
        const problem = await expectProblem(response, 400, "validation_failed");
        expect(JSON.stringify(problem.errors), write.name).toContain(field);
        const after = await (await api("GET", write.read, { token: alice.token })).text();
        expect(after, write.name).toBe(before);
      }
    });
  }

  it("a route that takes no body refuses any field, and does nothing", async () => {
    const token = await login(alice.email, alice.password);
    for (const [method, path] of [
      ["POST", "/v1/auth/logout"],
      ["POST", "/v1/auth/logout-all"],
      ["POST", "/v1/auth/refresh"],
      ["DELETE", `/v1/collections/${objects.collectionId}`],
    ] as const) {
      const response = await api(method, path, { token, body: { isAdmin: true } });
      const problem = await expectProblem(response, 400, "validation_failed");
      expect(problem.errors).toEqual([{ path: "isAdmin", message: "is not a known field" }]);
    }
    expect((await api("GET", `/v1/collections/${objects.collectionId}`, { token })).status).toBe(200);
    // An empty object is no field: still accepted.
    expect((await api("POST", "/v1/auth/logout", { token, body: {} })).status).toBe(204);
  });

  it("registration refuses a plan, a role or a verified flag, and creates no account", async () => {
    const email = uniqueEmail("mass");
    for (const extra of [{ plan: "enterprise" }, { role: "admin" }, { emailVerified: true }, { id: "usr_x" }]) {
      const response = await api("POST", "/v1/auth/register", {
        body: { email, password: "a long enough passphrase 91", ...extra },
      });
      await expectProblem(response, 400, "validation_failed");
    }
    const row = await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first();
    expect(row).toBeNull();
  });

  it("a new image, collection or key cannot be made in someone else's name or team", async () => {
    for (const [path, body] of [
      ["/v1/images/generations", { prompt: "p", size: "256x256", ownerId: bob.id }],
      ["/v1/collections", { name: "c", ownerId: bob.id }],
      ["/v1/api-keys", { name: "k", scopes: ["read"], userId: bob.id }],
      ["/v1/api-keys", { name: "k", scopes: ["read", "admin"] }],
    ] as const) {
      await expectProblem(await api("POST", path, { token: alice.token, body }), 400, "validation_failed");
    }
    // A team the caller is not in is not a place to create anything: Bob is only a viewer.
    const { id: otherTeam } = await createTeam((await registerUser()).token);
    const response = await api("POST", "/v1/images/generations", {
      token: alice.token,
      body: { prompt: "p", size: "256x256", teamId: otherTeam },
    });
    expect([403, 404]).toContain(response.status);
    const { results } = await env.DB.prepare("SELECT id FROM images WHERE user_id = ? OR team_id = ?")
      .bind(bob.id, otherTeam)
      .all();
    expect(results).toEqual([]);
  });

  it("a viewer cannot promote themselves, whatever the body says", async () => {
    const response = await api("PATCH", `/v1/teams/${objects.teamId}/members/${bob.id}`, {
      token: bob.token,
      body: { role: "owner" },
    });
    await expectProblem(response, 403, "forbidden");
    const members = await (await api("GET", `/v1/teams/${objects.teamId}/members`, { token: alice.token })).text();
    expect(JSON.parse(members).data).toContainEqual(expect.objectContaining({ userId: bob.id, role: "viewer" }));
  });
});

describe("responses never carry a hash or a stored secret", () => {
  it("across every read route and every write response of an account with 2FA, keys, teams and images", async () => {
    const user = await registerUser();
    const image = await createImage(user.token);
    const team = await createTeam(user.token);
    const key = await createKey(user.token);
    const responses = [
      await api("GET", "/v1/me", { token: user.token }),
      await api("PATCH", "/v1/me", { token: user.token, body: { name: "Snapshot" } }),
      await api("POST", "/v1/me/2fa/totp", { token: user.token, body: { password: user.password } }),
      await api("GET", "/v1/sessions", { token: user.token }),
      await api("GET", "/v1/api-keys", { token: user.token }),
      await api("GET", "/v1/images", { token: key.key }),
      await api("POST", `/v1/api-keys/${key.id}/roll`, { token: user.token, body: {} }),
      await api("GET", `/v1/images/${image.id}`, { token: user.token }),
      await api("GET", "/v1/collections", { token: user.token }),
      await api("GET", `/v1/teams/${team.id}`, { token: user.token }),
      await api("GET", `/v1/teams/${team.id}/members`, { token: user.token }),
      await api("GET", `/v1/teams/${team.id}/audit-log`, { token: user.token }),
      await api("GET", "/v1/audit-log", { token: user.token }),
      await api("GET", "/v1/licenses", { token: user.token }),
      await api("GET", "/v1/account/export", { token: user.token }),
      await asOperator("PATCH", `/v1/admin/users/${user.id}`, { body: { plan: "pro" } }),
    ];
    const stored = await storedSecretsOf(user.id);
    expect(stored.length).toBeGreaterThanOrEqual(4);
    for (const response of responses) {
      expect(response.status, response.url).toBeLessThan(300);
      const text = `${[...response.headers].join("\n")}\n${await response.text()}`;
      expect(text, response.url).not.toMatch(/"\w*(hash|Hash|ciphertext|Ciphertext|salt)"\s*:/);
      expect(text, response.url).not.toMatch(/\$2[aby]\$\d\d\$/);
      expect(text, response.url).not.toContain(user.password);
      for (const secret of stored) expect(text, response.url).not.toContain(secret);
    }
  });
});

/** What D1 holds for a user that must never be shown: hashes and sealed secrets. */
async function storedSecretsOf(userId: string): Promise<string[]> {
  const rows = await env.DB.batch([
    env.DB.prepare("SELECT password_hash AS value FROM users WHERE id = ?").bind(userId),
    env.DB.prepare("SELECT key_hash AS value FROM api_keys WHERE user_id = ?").bind(userId),
    env.DB.prepare("SELECT secret_ciphertext AS value FROM user_mfa WHERE user_id = ?").bind(userId),
  ]);
  return rows.flatMap((result) => (result.results as { value: string }[]).map((row) => row.value));
}
