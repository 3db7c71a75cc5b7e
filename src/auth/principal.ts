import type { Context } from "hono";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import type { ApiKeyScope } from "./access";

/** Who made an authenticated request, as verified by the pipeline. */
export interface SessionPrincipal {
  kind: "session";
  userId: string;
  email: string;
  sessionId: string;
  /** Where the token came from: `Authorization: Bearer`, or the browser session cookie (CSRF rules apply). */
  via: "bearer" | "cookie";
  /** When the session began (epoch ms, from the token): what the guard's cut-off is compared with. */
  sessionCreatedAt: number;
  tokenId: string;
  issuedAt: number;
  expiresAt: number;
}
export interface ApiKeyPrincipal {
  kind: "api_key";
  userId: string;
  keyId: string;
  /** When the key was created (epoch ms, from its row): what the guard's key cut-off is compared with. */
  createdAt: number;
  scopes: readonly ApiKeyScope[];
}
export type Principal = SessionPrincipal | ApiKeyPrincipal;

/** The authenticated caller (a session or an API key) of a credentialed route. */
export function principalOf(c: Context<AppEnv>): Principal {
  const principal = c.get("principal");
  if (!principal) throw new ApiError("unauthorized", { headers: { "WWW-Authenticate": 'Bearer realm="imagebot"' } });
  return principal;
}

/** The session of a session-only route (the pipeline refuses API keys there). */
export function sessionPrincipalOf(c: Context<AppEnv>): SessionPrincipal {
  const principal = principalOf(c);
  if (principal.kind !== "session") throw new ApiError("forbidden");
  return principal;
}
