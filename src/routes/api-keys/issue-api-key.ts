import type { Context } from "hono";
import { generateApiKey } from "../../crypto/api-key";
import { sha256Hex } from "../../crypto/hash";
import { newId } from "../../crypto/random";
import { insertApiKeyWithinCap, MAX_LIVE_KEYS } from "../../db/api-keys";
import { database } from "../../db/client";
import type { ApiKey } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";

/**
 * Creates a key for the user (409 at the cap) and returns its row and the key, once.
 * `replacing`: a live key this one ends at once (a roll without grace), not counted in the cap.
 */
export async function issueApiKey(
  c: Context<AppEnv>,
  settings: Pick<ApiKey, "userId" | "name" | "scopes" | "allowedIps" | "expiresAt" | "rolledFrom">,
  replacing?: string,
): Promise<{ row: ApiKey; key: string }> {
  const { key, displayPrefix, lastFour } = generateApiKey();
  const now = new Date();
  const row: ApiKey = {
    ...settings,
    id: newId("key"),
    keyHash: await sha256Hex(key),
    prefix: displayPrefix,
    lastFour,
    createdAt: now,
    lastUsedAt: null,
    revokedAt: null,
  };
  const inserted = await insertApiKeyWithinCap(database(c.env.DB), row, now, replacing);
  if (!inserted) throw new ApiError("conflict", { detail: `At most ${MAX_LIVE_KEYS} live API keys per user.` });
  return { row, key };
}
