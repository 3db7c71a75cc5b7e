import type { TeamAction } from "../domain/permissions";

/** What an API key may be scoped to (API.md "Credentials"). */
export const apiKeyScopes = ["read", "generate", "manage"] as const;
export type ApiKeyScope = (typeof apiKeyScopes)[number];

/**
 * The access policy every endpoint declares, in one place (deny by default: an endpoint cannot
 * be mounted without one, and a test proves every registered route has one).
 *
 * - `public`: no credential; counted against the client IP (1000/h) unless `unmetered`.
 * - `operator`: the ADMIN_TOKEN bearer (incident response).
 * - `development`: no credential, and the route does not exist (404) unless ENVIRONMENT=development.
 * - `session`: a session JWT only (account, session, key, team-membership and billing routes).
 * - `session_or_key`: a session JWT, or an API key carrying `scope`.
 * `action` names the team permission the route needs when the object belongs to a team; the
 * handler checks it against the caller's role, read from D1, with `authorizeOwner`.
 */
export type AccessPolicy =
  | { auth: "public"; unmetered?: true }
  | { auth: "operator" }
  | { auth: "development" }
  | { auth: "session"; action?: TeamAction }
  | { auth: "session_or_key"; scope: ApiKeyScope; action: TeamAction };

export const publicAccess: AccessPolicy = { auth: "public" };
/** /health and the Stripe webhook: neither counted nor rate limited (API.md "Limits"). */
export const unmeteredPublic: AccessPolicy = { auth: "public", unmetered: true };
export const operatorOnly: AccessPolicy = { auth: "operator" };
export const developmentOnly: AccessPolicy = { auth: "development" };
export const sessionOnly: AccessPolicy = { auth: "session" };

export function sessionWithTeamAction(action: TeamAction): AccessPolicy {
  return { auth: "session", action };
}

export function sessionOrKey(scope: ApiKeyScope, action: TeamAction): AccessPolicy {
  return { auth: "session_or_key", scope, action };
}
