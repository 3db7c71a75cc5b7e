import type { Context } from "hono";
import { API_KEY_FORMAT } from "../crypto/api-key";
import { sha256Hex } from "../crypto/hash";
import { findApiKeyByHash, touchApiKey } from "../db/api-keys";
import { recordAuditEvent } from "../db/audit";
import { database } from "../db/client";
import type { ApiKey } from "../db/schema";
import { isIpAllowed } from "../domain/ip-allowlist";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { auditContext } from "../routes/audit-context";

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

async function lookupKey(c: Context<AppEnv>, keyHash: string, now: number): Promise<ApiKey | undefined> {
  const cached = keyCache.get(keyHash);
  if (cached && now - cached.cachedAt < API_KEY_CACHE_TTL_MS) return cached.key;
  const key = await findApiKeyByHash(database(c.env.DB), keyHash);
  if (key) {
    if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
    keyCache.set(keyHash, { key, cachedAt: now });
  }
  return key;
}

export type KeyRejection = "revoked" | "expired" | "ip" | "scope";

export async function rejectKey(
  c: Context<AppEnv>,
  key: Pick<ApiKey, "id" | "userId">,
  reason: KeyRejection,
): Promise<never> {
  await recordAuditEvent(database(c.env.DB), auditContext(c), {
    type: "api_key.rejected",
    userId: key.userId,
    metadata: { keyId: key.id, reason },
  });
  if (reason === "ip") throw new ApiError("ip_not_allowed");
  if (reason === "scope") throw new ApiError("forbidden", { detail: "This API key may not be used for this route." });
  throw new ApiError("unauthorized", {
    headers: { "WWW-Authenticate": 'Bearer realm="imagebot", error="invalid_token"' },
  });
}

function recordLastUsed(c: Context<AppEnv>, keyId: string, now: number) {
  if (now - (lastUsedWrites.get(keyId) ?? 0) < LAST_USED_INTERVAL_MS) return;
  if (lastUsedWrites.size >= MAX_CACHED_KEYS) lastUsedWrites.clear();
  lastUsedWrites.set(keyId, now);
  c.executionCtx.waitUntil(touchApiKey(database(c.env.DB), keyId, new Date(now), LAST_USED_INTERVAL_MS));
}

/**
 * Checks `Authorization: Bearer imgbot_live_…` locally: unknown, malformed, revoked or expired
 * keys get 401; from outside the key's allowlist, 403 ip_not_allowed. The caller then asks the
 * owner's Durable Object, which knows revocations at once, so a revoked key fails on the next
 * request from any isolate, cached row or not.
 */
export async function verifyApiKey(c: Context<AppEnv>, presented: string): Promise<ApiKey> {
  const invalid = () =>
    new ApiError("unauthorized", { headers: { "WWW-Authenticate": 'Bearer realm="imagebot", error="invalid_token"' } });
  if (!API_KEY_FORMAT.test(presented)) throw invalid();
  const now = Date.now();
  const key = await lookupKey(c, await sha256Hex(presented), now);
  if (!key) throw invalid();
  if (key.revokedAt && key.revokedAt.getTime() <= now) return rejectKey(c, key, "revoked");
  if (key.expiresAt && key.expiresAt.getTime() <= now) return rejectKey(c, key, "expired");
  if (key.allowedIps && !isIpAllowed(c.get("clientIp"), key.allowedIps)) return rejectKey(c, key, "ip");
  recordLastUsed(c, key.id, now);
  return key;
}
