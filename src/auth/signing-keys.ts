import type { Context } from "hono";
import type { SigningKeys } from "../crypto/jwt";
import type { AppEnv } from "../env";

/** The secrets session tokens are signed with (current) and still accepted from (previous). */
export function signingKeys(c: Context<AppEnv>): SigningKeys {
  const config = c.get("config");
  return { current: config.JWT_SECRET, previous: config.JWT_SECRET_PREVIOUS };
}
