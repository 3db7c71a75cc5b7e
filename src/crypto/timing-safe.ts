import { utf8 } from "./encoding";

/**
 * Compares two secrets in time that does not depend on where they differ. Both sides are
 * hashed first so that the comparison also does not leak the expected length.
 */
export async function timingSafeEqualStrings(actual: string, expected: string): Promise<boolean> {
  const [left, right] = await Promise.all([
    crypto.subtle.digest("SHA-256", utf8.encode(actual)),
    crypto.subtle.digest("SHA-256", utf8.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(left, right);
}
