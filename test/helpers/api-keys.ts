import { expect } from "vitest";
import { api } from "./api";

export interface CreatedKey {
  id: string;
  key: string;
  prefix: string;
  lastFour: string;
  scopes: string[];
  allowedIps: string[] | null;
  expiresAt: string | null;
  revokedAt: string | null;
}

export async function createKey(token: string, body: Record<string, unknown> = {}): Promise<CreatedKey> {
  const response = await api("POST", "/v1/api-keys", {
    token,
    body: { name: "ci", scopes: ["read", "generate", "manage"], ...body },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as CreatedKey;
}
