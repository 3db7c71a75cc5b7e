import type { BatchItem } from "drizzle-orm/batch";
import type { Context } from "hono";
import { auditContext } from "../auth/audit-context";
import { apiKeysCutOffUpdate } from "../db/api-keys";
import { type AuditEvent, auditEventInsert } from "../db/audit";
import { database } from "../db/client";
import { sessionsCutOffUpdate } from "../db/sessions";
import type { AppEnv } from "../env";
import { revokeAllIssuedInGuard } from "../routes/sessions/revoke-sessions";

/**
 * The operator's containment step (API.md Operator: revoke-all, force-password-reset): every session
 * and API key of the user dies on the next request. ONE guard call voids everything issued up to now,
 * whatever its number, and comes first: it is what the next request is checked against, whatever D1
 * does next. Then D1, in one batch: the rows marked revoked in bulk, `alsoInBatch` (what else the
 * operator's call changes) and the audit row, whose metadata gains the cut-off.
 */
export async function revokeEveryCredential(
  c: Context<AppEnv>,
  userId: string,
  audit: AuditEvent,
  alsoInBatch: readonly BatchItem<"sqlite">[] = [],
): Promise<void> {
  const cut = await revokeAllIssuedInGuard(c, userId, { sessions: true, apiKeys: true });
  const now = new Date();
  const db = database(c.env.DB);
  await db.batch([
    sessionsCutOffUpdate(db, userId, { ...cut, now }),
    apiKeysCutOffUpdate(db, userId, { cutOff: cut.cutOff, now }),
    ...alsoInBatch,
    auditEventInsert(db, auditContext(c), {
      ...audit,
      metadata: { ...audit.metadata, createdUpTo: new Date(cut.cutOff).toISOString() },
    }),
  ]);
}
