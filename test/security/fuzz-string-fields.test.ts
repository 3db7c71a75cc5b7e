// OWASP API8:2023 (security misconfiguration: errors), API3 (property level): arbitrary strings in
// every free-text field never cause a 500; each is either refused with a 4xx problem or stored
// and returned byte for byte.
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { api, type RegisteredUser, registerUser } from "../helpers/api";
import { createImage } from "../helpers/fixtures";

const nasty = fc.oneof(
  fc.string({ unit: "binary", maxLength: 300 }),
  fc.string({ unit: "grapheme", maxLength: 120 }),
  fc.constantFrom(
    "'; DROP TABLE users; --",
    '" OR "1"="1',
    "<script>alert(1)</script>",
    "\u0000nul\u0000",
    "\ud800 lone high surrogate",
    "lone low surrogate \udc00",
    "a".repeat(10_000),
    "{{7*7}} #{7*7}",
    "../../etc/passwd",
    "\u202eright-to-left",
  ),
);

let user: RegisteredUser;
let imageId: string;

beforeAll(async () => {
  user = await registerUser();
  imageId = (await createImage(user.token)).id;
});

type Json = Record<string, unknown>;

/** Sends `value` in one field and checks the answer: a 4xx problem, or the value stored exactly. */
async function probe(method: string, path: string, body: Json, read: (json: Json) => unknown, value: string) {
  const response = await api(method, path, { token: user.token, body });
  expect(response.status).not.toBeGreaterThanOrEqual(500);
  if (response.status >= 400) {
    expect(response.headers.get("Content-Type")).toBe("application/problem+json");
    return;
  }
  // Compared as JSON: escaped, so a failure message never carries a lone surrogate (the pool's
  // WebSocket to workerd cannot encode one).
  expect(JSON.stringify(read((await response.json()) as Json))).toBe(JSON.stringify(value));
}

const fields: [string, (value: string) => Promise<void>][] = [
  [
    "image prompt",
    (value) =>
      probe("POST", "/v1/images/generations", { prompt: value, size: "256x256" }, (json) => json.prompt, value),
  ],
  ["image title", (value) => probe("PATCH", `/v1/images/${imageId}`, { title: value }, (json) => json.title, value)],
  [
    "comment body",
    (value) => probe("POST", `/v1/images/${imageId}/comments`, { body: value }, (json) => json.body, value),
  ],
  ["profile name", (value) => probe("PATCH", "/v1/me", { name: value }, (json) => json.name, value.trim())],
  ["collection name", (value) => probe("POST", "/v1/collections", { name: value }, (json) => json.name, value.trim())],
  ["team name", (value) => probe("POST", "/v1/teams", { name: value }, (json) => json.name, value.trim())],
  [
    "api key name",
    (value) => probe("POST", "/v1/api-keys", { name: value, scopes: ["read"] }, (json) => json.name, value.trim()),
  ],
];

describe("arbitrary strings in free-text fields", () => {
  for (const [label, send] of fields) {
    it(`${label}: never a 500, refused or returned exactly`, async () => {
      await fc.assert(fc.asyncProperty(nasty, send), { numRuns: 12 });
    });
  }
});
