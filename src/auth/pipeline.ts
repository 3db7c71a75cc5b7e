import type { Context } from "hono";
import type { SignalKind } from "../domain/security-signals";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { withIpGuard } from "../services/guard-client";
import { reportUnguardedSignal } from "../services/unguarded-signals";
import type { AccessPolicy } from "./access";
import { admitAnonymous, admitUser, refundAnonymous } from "./admit";
import { auditKeyRejection, checkApiKey, type KeyRejection, lookUpApiKey, recordKeyUse } from "./api-keys";
import { authorizeCaller } from "./authorize";
import { type Identity, identifyCaller, identifyOperator } from "./identify";
import { isClientBlocked } from "./ip-blocks";
import type { Principal } from "./principal";
import { ipBlocked } from "./rate-limit-headers";
import { signalContext } from "./signal-context";

// RFC 6750 §3: a 401 names the scheme, and says `invalid_token` when one was presented.
const unauthorized = (presented: "missing" | "invalid") =>
  new ApiError("unauthorized", {
    headers: {
      "WWW-Authenticate":
        presented === "missing" ? 'Bearer realm="imagebot"' : 'Bearer realm="imagebot", error="invalid_token"',
    },
  });

/**
 * Refuses a request whose credential failed. It is first admitted as a request without a valid
 * credential (counted against its address, refused when blocked or over budget), and only then
 * audited (a key's rejection, once per key and reason a minute): nothing is written for a
 * request its address may not make.
 */
async function refuseCredential(
  c: Context<AppEnv>,
  presented: "missing" | "invalid",
  rejection?: KeyRejection,
): Promise<never> {
  // What the admitted request ends in: a 401 (403 for a key used outside its allowlist), and a key rejection.
  const signals: SignalKind[] = rejection
    ? rejection.reason === "ip"
      ? ["key_rejection"]
      : ["unauthorized", "key_rejection"]
    : ["unauthorized"];
  await admitAnonymous(c, signals);
  if (rejection) await auditKeyRejection(c, rejection);
  if (rejection?.reason === "ip") throw new ApiError("ip_not_allowed");
  throw unauthorized(presented);
}

/** One call to the user's guard; a credential it knows as revoked is a rejected credential. */
async function admitVerified(c: Context<AppEnv>, principal: Principal): Promise<Principal> {
  if ((await admitUser(c, principal)) === "revoked") {
    const rejection: KeyRejection | undefined =
      principal.kind === "api_key"
        ? { key: { id: principal.keyId, userId: principal.userId }, reason: "revoked" }
        : undefined;
    return refuseCredential(c, "invalid", rejection);
  }
  if (principal.kind === "api_key") recordKeyUse(c, principal.keyId);
  return principal;
}

/**
 * A key this isolate has not seen costs a D1 read, so its address pays for it first; a key that
 * proves valid hands that unit back and is admitted like any other credential.
 */
async function admitUnknownKey(c: Context<AppEnv>, keyHash: string): Promise<Principal> {
  await admitAnonymous(c);
  const now = Date.now();
  const key = await lookUpApiKey(c.env, keyHash, now);
  if (!key) {
    reportLateSignals(c, ["unauthorized", "key_rejection"]);
    throw unauthorized("invalid");
  }
  const check = checkApiKey(key, c.get("clientIp"), now);
  if (!check.ok) {
    reportLateSignals(c, check.reason === "ip" ? ["key_rejection"] : ["unauthorized", "key_rejection"]);
    await auditKeyRejection(c, check);
    throw check.reason === "ip" ? new ApiError("ip_not_allowed") : unauthorized("invalid");
  }
  await refundAnonymous(c);
  return admitVerified(c, check.principal);
}

/**
 * Signals known only after the address's guard admitted the request (a key that D1 does not know
 * or refuses): told to that guard after the response is sent. An extra call, but only for a
 * request that already cost a D1 read, and never in the response's path. Best effort.
 */
function reportLateSignals(c: Context<AppEnv>, kinds: SignalKind[]): void {
  c.executionCtx.waitUntil(
    withIpGuard(c.env, c.get("clientIp"), (guard) => guard.recordSignals({ kinds, context: signalContext(c) })).catch(
      () => undefined,
    ),
  );
}

async function admitCaller(c: Context<AppEnv>, identity: Identity): Promise<Principal> {
  switch (identity.kind) {
    case "missing":
    case "invalid":
      return refuseCredential(c, identity.kind);
    case "rejected_key":
      return refuseCredential(c, "invalid", identity.rejection);
    case "unknown_key":
      return admitUnknownKey(c, identity.keyHash);
    case "session":
    case "api_key":
      return admitVerified(c, identity.principal);
  }
}

async function admitOperator(c: Context<AppEnv>): Promise<void> {
  const identity = await identifyOperator(c);
  if (identity !== "operator") return refuseCredential(c, identity);
  if (await isClientBlocked(c)) {
    reportUnguardedSignal(c, "blocked");
    throw ipBlocked();
  }
}

/**
 * The request pipeline (ARCHITECTURE.md "the shape"), top to bottom: identify the credential
 * locally, shield, admit (one Durable Object call), and only then anything that reads or writes
 * storage for it; finally authorize. Returns the caller of a credentialed route.
 */
export async function runPipeline(c: Context<AppEnv>, policy: AccessPolicy): Promise<Principal | undefined> {
  switch (policy.auth) {
    case "public":
      if (!policy.unmetered) await admitAnonymous(c);
      return undefined;
    case "development":
      if (c.get("config").ENVIRONMENT !== "development") throw new ApiError("not_found");
      await admitAnonymous(c);
      return undefined;
    case "operator":
      await admitOperator(c);
      return undefined;
    case "session":
    case "session_or_key": {
      const principal = await admitCaller(c, await identifyCaller(c));
      await authorizeCaller(c, principal, policy);
      return principal;
    }
  }
}
