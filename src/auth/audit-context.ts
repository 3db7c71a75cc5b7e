import type { Context } from "hono";
import type { AuditContext } from "../db/audit";
import type { AppEnv } from "../env";

/**
 * Who and where a request came from, for its audit rows. The operator's rows keep their address
 * and request id in D1: the operator's own review needs to see where an ADMIN_TOKEN was used from
 * (a stolen token shows up as an unknown address); the views shown to users hide both.
 */
export function auditContext(c: Context<AppEnv>): AuditContext {
  const context: AuditContext = { requestId: c.get("requestId"), ip: c.get("clientIp") };
  if (c.get("access")?.auth === "operator") context.actor = "operator";
  return context;
}
