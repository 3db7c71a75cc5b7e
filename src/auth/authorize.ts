import type { Context } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import type { AccessPolicy } from "./access";
import { auditKeyRejection } from "./api-keys";
import { requireCsrfProof } from "./csrf";
import type { Principal } from "./principal";

/**
 * What an admitted caller may do on this route: a session may use every credentialed route
 * (team roles are checked by the handler on the object, `routes/authorize.ts`); an API key only
 * a `session_or_key` route of one of its scopes. A refused key is audited (once a minute). A
 * session held in the browser cookie must also prove a state change is not a forged request.
 */
export async function authorizeCaller(c: Context<AppEnv>, principal: Principal, policy: AccessPolicy): Promise<void> {
  if (principal.kind === "session") return requireCsrfProof(c, principal);
  if (policy.auth === "session_or_key" && principal.scopes.includes(policy.scope)) return;
  await auditKeyRejection(c, { key: { id: principal.keyId, userId: principal.userId }, reason: "scope" });
  throw new ApiError("forbidden", { detail: "This API key may not be used for this route." });
}
