import type { Database } from "./client";
import { countPasskeys } from "./passkeys";

/**
 * How many ways the user has to sign in (API.md: removing the last one is 409 `conflict`). The
 * ONE place that counts them: the password, plus each passkey (and, once OAuth lands, each linked
 * identity; an account created by a provider has no usable password, `users.has_password = 0`).
 * Until `has_password` exists every account has its password, so it always counts as one.
 */
export async function countSignInMethods(db: Database, userId: string): Promise<number> {
  const password = 1;
  return password + (await countPasskeys(db, userId));
}
