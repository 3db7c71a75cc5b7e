import type { Context } from "hono";
import type { SignalContext, SignalKind } from "../domain/security-signals";
import type { AdmitRequest } from "../durable-objects/user-guard";
import type { AppEnv } from "../env";
import { withIpGuard, withUserGuard } from "../services/guard-client";
import { reportUnguardedSignal } from "../services/unguarded-signals";
import { isClientBlocked } from "./ip-blocks";
import type { Principal } from "./principal";
import { ipBlocked, rateLimited, setRateLimitHeaders } from "./rate-limit-headers";
import { shieldAnonymous, shieldUser } from "./shield";
import { signalContext } from "./signal-context";

/**
 * Admits a request without a valid credential (public routes, every rejected credential,
 * unknown paths): the shield, the operator's blocks (this isolate's copy, ranges included), then
 * ONE call to the IP's guard, which refuses a blocked address or one past 1000 in the rolling
 * hour, and otherwise counts this request. Refused: 403 ip_blocked or 429, nothing else done.
 * `signals`: what the request ends in once admitted (security signals, counted by that guard).
 */
export async function admitAnonymous(c: Context<AppEnv>, signals: SignalKind[] = []): Promise<void> {
  await shieldAnonymous(c);
  if (await isClientBlocked(c)) {
    reportUnguardedSignal(c, "blocked");
    throw ipBlocked();
  }
  // The guard counts the request's signals with the one call it makes anyway: `signals` if it is
  // admitted (a 401, a key rejection), a 403 or 429 if not.
  const admission = await withIpGuard(c.env, c.get("clientIp"), (guard) =>
    guard.admitUnauthenticated({ kinds: signals, context: signalContext(c) }),
  );
  if (!admission.admitted) {
    if ("blocked" in admission) throw ipBlocked();
    throw rateLimited(admission.limit, admission.retryAfterSeconds);
  }
  setRateLimitHeaders(c, admission);
}

/**
 * Gives back the unit `admitAnonymous` charged for looking up a key that proved valid, so that
 * legitimate use never drains its address's budget. Best effort: a refund that fails costs the
 * client one unit, never the request.
 */
export async function refundAnonymous(c: Context<AppEnv>): Promise<void> {
  try {
    await withIpGuard(c.env, c.get("clientIp"), (guard) => guard.refundUnauthenticated());
  } catch {
    // Logged by the guard client; the request goes on.
  }
}

function admitRequestOf(principal: Principal, signals: SignalContext): AdmitRequest {
  return principal.kind === "session"
    ? {
        credential: {
          kind: "session",
          sessionId: principal.sessionId,
          tokenId: principal.tokenId,
          createdAt: principal.sessionCreatedAt,
        },
        signalContext: signals,
      }
    : {
        credential: { kind: "api_key", keyId: principal.keyId, createdAt: principal.createdAt },
        signalContext: signals,
      };
}

/**
 * Admits a locally verified credential: the operator's blocks (this isolate's copy, at most
 * 5 s old), the shield, then ONE call to the user's guard, which answers revocation and the
 * rolling window together. `revoked` is for the caller to refuse as a rejected credential.
 */
export async function admitUser(c: Context<AppEnv>, principal: Principal): Promise<"admitted" | "revoked"> {
  if (await isClientBlocked(c)) {
    reportUnguardedSignal(c, "blocked");
    throw ipBlocked();
  }
  await shieldUser(c, principal.userId);
  const admission = await withUserGuard(c.env, principal.userId, (guard) =>
    guard.admit(admitRequestOf(principal, signalContext(c))),
  );
  switch (admission.outcome) {
    case "revoked":
      return "revoked";
    case "rate_limited":
      throw rateLimited(admission.limit, admission.retryAfterSeconds);
    case "admitted":
      setRateLimitHeaders(c, admission);
      return "admitted";
  }
}
