import type { Context } from "hono";
import type { AuditContext } from "../db/audit";
import type { AppEnv } from "../env";

export function auditContext(c: Context<AppEnv>): AuditContext {
  return { requestId: c.get("requestId"), ip: c.get("clientIp") };
}
