import type { Context } from "hono";
import { sha256Hex } from "../../crypto/hash";
import { randomToken } from "../../crypto/random";
import { database } from "../../db/client";
import { replaceResetToken } from "../../db/reset-tokens";
import type { AppEnv } from "../../env";

export const RESET_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/**
 * Issues a password-reset token (32 random bytes, valid one hour, single use; only its SHA-256
 * is stored, and it voids the user's older tokens) and returns the link that carries it.
 */
export async function createResetLink(c: Context<AppEnv>, userId: string): Promise<string> {
  const token = randomToken(32);
  const now = new Date();
  await replaceResetToken(
    database(c.env.DB),
    { userId, tokenHash: await sha256Hex(token), expiresAt: new Date(now.getTime() + RESET_TOKEN_LIFETIME_MS) },
    now,
  );
  const url = new URL("/reset-password", c.get("config").APP_URL);
  url.searchParams.set("token", token);
  return url.toString();
}
