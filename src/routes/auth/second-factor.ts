import type { Context } from "hono";
import { sha256Hex } from "../../crypto/hash";
import { openSecret, type SealingKeys, sealSecret, UnknownSealingKey } from "../../crypto/secret-box";
import { type Database, database } from "../../db/client";
import { consumeBackupCode, consumeTotpStep, findMfa, resealTotpSecret } from "../../db/mfa";
import { matchTotpStep } from "../../domain/totp";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";

/**
 * The keys that seal TOTP secrets: the current one seals, the previous one (during a rotation)
 * still opens. 2FA refuses to run without a key rather than store seeds in clear.
 */
export function totpKeys(c: Context<AppEnv>): SealingKeys {
  const { TOTP_ENCRYPTION_KEY: current, TOTP_ENCRYPTION_KEY_PREVIOUS: previous } = c.get("config");
  if (!current) {
    console.error("server_misconfigured: TOTP_ENCRYPTION_KEY is not set");
    throw new ApiError("server_misconfigured");
  }
  return { current, previous };
}

/**
 * The user's TOTP seed in clear. A seed sealed under the previous key is re-sealed under the
 * current one on the spot, so a rotation finishes as users sign in (README "Rotating secrets").
 */
export async function openTotpSecret(c: Context<AppEnv>, db: Database, userId: string, sealed: string) {
  const keys = totpKeys(c);
  try {
    const { plaintext, stale } = await openSecret(sealed, keys);
    if (stale) await resealTotpSecret(db, userId, sealed, await sealSecret(plaintext, keys));
    return plaintext;
  } catch (error) {
    if (!(error instanceof UnknownSealingKey)) throw error;
    console.error("server_misconfigured: a TOTP secret is sealed with neither TOTP_ENCRYPTION_KEY nor _PREVIOUS");
    throw new ApiError("server_misconfigured");
  }
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
    const secret = await openTotpSecret(c, db, userId, mfa.secretCiphertext);
    const step = matchTotpStep(secret, proof.code, Date.now());
    return step !== null && (await consumeTotpStep(db, userId, step)) ? "totp" : null;
  }
  if (proof.backupCode !== undefined) {
    return (await consumeBackupCode(db, userId, await hashBackupCode(proof.backupCode), new Date())) ? "backup" : null;
  }
  return null;
}
