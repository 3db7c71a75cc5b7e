import bcrypt from "bcryptjs";
import { toBase64Url } from "./encoding";
import { hmacSha256 } from "./hash";

const BCRYPT_COST = 10;

/**
 * bcrypt reads at most 72 bytes and silently ignores the rest, so two long passwords that
 * share a 72-byte prefix would both verify. Every password is therefore pre-hashed to a fixed
 * 43-character base64url string (HMAC-SHA-256, which also has no NUL byte that some bcrypt
 * implementations stop at). The HMAC key is a fixed, public domain label: it is not a pepper,
 * but it makes these pre-hashes differ from plain SHA-256 digests leaked by other sites, so
 * such digests cannot be "shucked" against our bcrypt hashes.
 * Passwords are NFC-normalised first so the same password typed on different keyboards matches.
 */
async function prehash(password: string): Promise<string> {
  return toBase64Url(await hmacSha256("imagebot-edge/password/v1", password.normalize("NFC")));
}

export async function hashPassword(password: string): Promise<string> {
  return bcrypt.hash(await prehash(password), BCRYPT_COST);
}

export async function verifyPassword(password: string, passwordHash: string): Promise<boolean> {
  return bcrypt.compare(await prehash(password), passwordHash);
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends one bcrypt compare against a hash no password matches, so an unknown email costs the
 * same time as a wrong password and response timing does not reveal which accounts exist.
 */
export async function spendPasswordCheck(password: string): Promise<false> {
  dummyHash ??= hashPassword(crypto.randomUUID());
  await verifyPassword(password, await dummyHash);
  return false;
}
