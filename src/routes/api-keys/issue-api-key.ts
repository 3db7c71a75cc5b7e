import type { Context } from "hono";
import { generateApiKey } from "../../crypto/api-key";
import { sha256Hex } from "../../crypto/hash";
import { newId } from "../../crypto/random";
import { insertApiKeyWithinCap, MAX_LIVE_KEYS } from "../../db/api-keys";
import { database } from "../../db/client";
import type { ApiKey } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { requireVerifiedUser } from "../../services/email-verification";
import { apiKeyCreatedMail } from "../../services/mail-templates";
import { mailerFor } from "../../services/mailer";

/**
 * Creates a key for the user (403 email_unverified until the address is proved, 409 at the cap)
 * and returns its row, the key (once) and the owner's address for `mailKeyCreated`. A roll
 * creates a key too, so it needs a verified address as well: an unverified account gets no new
 * secret of any kind. `replacing`: a live key this one ends at once (a roll without grace), not
 * counted in the cap.
 */
export async function issueApiKey(
  c: Context<AppEnv>,
  settings: Pick<ApiKey, "userId" | "name" | "scopes" | "allowedIps" | "expiresAt" | "rolledFrom">,
  replacing?: string,
): Promise<{ row: ApiKey; key: string; ownerEmail: string }> {
  const owner = await requireVerifiedUser(c, settings.userId);
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
  return { row, key, ownerEmail: owner.email };
}

/** Tells the owner of every new key (API.md "Email ownership"): a key they did not make is seen. */
export async function mailKeyCreated(c: Context<AppEnv>, ownerEmail: string, row: ApiKey): Promise<void> {
  await mailerFor(c).send(apiKeyCreatedMail(ownerEmail, row, c.get("clientIp")));
}
