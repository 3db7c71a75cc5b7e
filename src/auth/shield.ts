import type { Context } from "hono";
import { ipGuardKey } from "../domain/client-address";
import type { AppEnv } from "../env";
import { reportUnguardedSignal } from "../services/unguarded-signals";
import { rateLimited } from "./rate-limit-headers";

/**
 * The shield: Workers Rate Limiting bindings (approximate, counted per Cloudflare location, no
 * storage) in front of the guards, so that a flood is shed before it reaches a Durable Object,
 * which serves about 1,000 requests a second. The exact limits stay in the guards; these are
 * far above anything a legitimate client does (numbers and why: wrangler.toml and README).
 */
export const SHIELD_LIMITS = {
  /** Requests without a valid credential, per address (IPv6: per /64), per 60 s. */
  anonymous: { limit: 1_000, periodSeconds: 60 },
  /** Authenticated requests, per user, per 10 s. */
  user: { limit: 5_000, periodSeconds: 10 },
} as const;

/** Sheds a flood of requests without a valid credential from one address (429). */
export async function shieldAnonymous(c: Context<AppEnv>): Promise<void> {
  const { success } = await c.env.ANONYMOUS_SHIELD.limit({ key: ipGuardKey(c.get("clientIp")) });
  if (!success) {
    reportUnguardedSignal(c, "rate_limited");
    throw rateLimited(SHIELD_LIMITS.anonymous.limit, SHIELD_LIMITS.anonymous.periodSeconds);
  }
}

/** Sheds a flood of one user's requests before their guard is asked (429). */
export async function shieldUser(c: Context<AppEnv>, userId: string): Promise<void> {
  const { success } = await c.env.USER_SHIELD.limit({ key: userId });
  if (!success) {
    reportUnguardedSignal(c, "rate_limited");
    throw rateLimited(SHIELD_LIMITS.user.limit, SHIELD_LIMITS.user.periodSeconds);
  }
}
