import type { Context } from "hono";
import { sha256Hex } from "../../crypto/hash";
import { openSecret } from "../../crypto/secret-box";
import { database } from "../../db/client";
import { consumeBackupCode, consumeTotpStep, findMfa } from "../../db/mfa";
import { matchTotpStep } from "../../domain/totp";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";

/** The key that seals TOTP secrets; 2FA refuses to run without one rather than store seeds in clear. */
export function totpKey(c: Context<AppEnv>): string {
  const key = c.get("config").TOTP_ENCRYPTION_KEY;
  if (!key) {
    console.error("server_misconfigured: TOTP_ENCRYPTION_KEY is not set");
    throw new ApiError("server_misconfigured");
  }
  return key;
}

/** Backup codes compare without case, spaces or dashes, so they can be typed as printed. */
export const normaliseBackupCode = (code: string) => code.toLowerCase().replaceAll(/[\s-]/g, "");

export async function hashBackupCode(code: string): Promise<string> {
  return sha256Hex(`imagebot-edge/backup-code/${normaliseBackupCode(code)}`);
}

export async function isTwoFactorEnabled(c: Context<AppEnv>, userId: string): Promise<boolean> {
  return Boolean((await findMfa(database(c.env.DB), userId))?.enabledAt);
}

/**
 * Checks a second factor and uses it up: a TOTP code is accepted once for its time step (RFC
 * 6238 §5.2: no replay inside the window), a backup code once ever. Returns which one passed.
 */
export async function consumeSecondFactor(
  c: Context<AppEnv>,
  userId: string,
  proof: { code?: string | undefined; backupCode?: string | undefined },
): Promise<"totp" | "backup" | null> {
  const db = database(c.env.DB);
  const mfa = await findMfa(db, userId);
  if (!mfa?.enabledAt) return null;
  if (proof.code !== undefined) {
    const secret = await openSecret(mfa.secretCiphertext, totpKey(c));
    const step = matchTotpStep(secret, proof.code, Date.now());
    return step !== null && (await consumeTotpStep(db, userId, step)) ? "totp" : null;
  }
  if (proof.backupCode !== undefined) {
    return (await consumeBackupCode(db, userId, await hashBackupCode(proof.backupCode), new Date())) ? "backup" : null;
  }
  return null;
}
