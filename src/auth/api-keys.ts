import type { Context } from "hono";
import { findApiKeyByHash, touchApiKey } from "../db/api-keys";
import { KEY_REJECTION_AUDIT_INTERVAL_MS, recordKeyRejection } from "../db/audit";
import { database } from "../db/client";
import type { ApiKey } from "../db/schema";
import { isIpAllowed } from "../domain/ip-allowlist";
import type { AppEnv, Bindings } from "../env";
import { auditContext } from "./audit-context";
import type { ApiKeyPrincipal } from "./principal";

/**
 * How long an isolate may reuse a key's D1 row. Safe only because every API-key request also
 * asks the owner's Durable Object, which knows revoked keys at once (ARCHITECTURE.md): the cache
 * saves a D1 read, never a security decision that a revocation cannot reach.
 */
export const API_KEY_CACHE_TTL_MS = 60_000;
const LAST_USED_INTERVAL_MS = 60_000;
const MAX_CACHED_KEYS = 1_000;

const keyCache = new Map<string, { key: ApiKey; cachedAt: number }>();
const lastUsedWrites = new Map<string, number>();
// This isolate's memory of the rejections it audited: most repeats never reach D1, whose
// conditional insert (`recordKeyRejection`) keeps the once-a-minute rule exact across isolates.
const auditedRejections = new Map<string, number>();

export type KeyRejectionReason = "revoked" | "expired" | "ip" | "scope";
export interface KeyRejection {
  key: Pick<ApiKey, "id" | "userId">;
  reason: KeyRejectionReason;
}
export type KeyCheck = { ok: true; principal: ApiKeyPrincipal } | ({ ok: false } & KeyRejection);

/** A key's row as this isolate last read it (at most a minute ago), without any storage read. */
export function cachedApiKey(keyHash: string, now: number): ApiKey | undefined {
  const cached = keyCache.get(keyHash);
  return cached && now - cached.cachedAt < API_KEY_CACHE_TTL_MS ? cached.key : undefined;
}

/** Reads a key's row from D1 (only after the client's IP admitted the attempt) and caches it. */
export async function lookUpApiKey(env: Bindings, keyHash: string, now: number): Promise<ApiKey | undefined> {
  const key = await findApiKeyByHash(database(env.DB), keyHash);
  if (key) {
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    keyCache.set(keyHash, { key, cachedAt: now });
  }
  return key;
}

/** Whether a known key may be used now from `clientIp`: not revoked, not expired, allowlisted. */
export function checkApiKey(key: ApiKey, clientIp: string, now: number): KeyCheck {
  if (key.revokedAt && key.revokedAt.getTime() <= now) return { ok: false, key, reason: "revoked" };
  if (key.expiresAt && key.expiresAt.getTime() <= now) return { ok: false, key, reason: "expired" };
  if (key.allowedIps && !isIpAllowed(clientIp, key.allowedIps)) return { ok: false, key, reason: "ip" };
  return {
    ok: true,
    principal: {
      kind: "api_key",
      userId: key.userId,
      keyId: key.id,
      createdAt: key.createdAt.getTime(),
      scopes: key.scopes,
    },
  };
}

/** Audits a key's rejection at most once per key and reason per minute (API.md "Limits"). */
export async function auditKeyRejection(c: Context<AppEnv>, { key, reason }: KeyRejection): Promise<void> {
  const now = Date.now();
  const memo = `${key.id}:${reason}`;
  if (now - (auditedRejections.get(memo) ?? 0) < KEY_REJECTION_AUDIT_INTERVAL_MS) return;
  if (auditedRejections.size >= MAX_CACHED_KEYS) auditedRejections.clear();
  auditedRejections.set(memo, now);
  await recordKeyRejection(database(c.env.DB), auditContext(c), { userId: key.userId, keyId: key.id, reason });
}

/** Writes a key's last-used time at most once a minute per isolate (and per key in D1). */
export function recordKeyUse(c: Context<AppEnv>, keyId: string) {
  const now = Date.now();
  if (now - (lastUsedWrites.get(keyId) ?? 0) < LAST_USED_INTERVAL_MS) return;
  if (lastUsedWrites.size >= MAX_CACHED_KEYS) lastUsedWrites.clear();
  lastUsedWrites.set(keyId, now);
  c.executionCtx.waitUntil(touchApiKey(database(c.env.DB), keyId, new Date(now), LAST_USED_INTERVAL_MS));
}
