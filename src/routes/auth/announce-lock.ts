import type { Context } from "hono";
import { auditContext } from "../../auth/audit-context";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import type { AppEnv } from "../../env";
import { accountLockedMail } from "../../services/mail-templates";
import { mailResetLink } from "./reset-link";

/**
 * The one place a lock is announced (API.md "Login": every lock, whatever the path that caused
 * it, mails the owner): one `auth.locked` audit row, and for an existing account a mail with a
 * reset link. Called only by guardedPasswordCheck, and only when the account guard said this
 * failure is the one that locked the account — the guard says so once per lock, so racing
 * failures never send two mails. An unknown email is audited and mailed to nobody.
 */
export async function announceAccountLock(c: Context<AppEnv>, account: { email: string; userId: string | null }) {
  await recordAuditEvent(database(c.env.DB), auditContext(c), { type: "auth.locked", userId: account.userId });
  if (!account.userId) return;
  const minutes = c.get("config").LOCKOUT_MINUTES;
  await mailResetLink(c, account.userId, (resetUrl) => accountLockedMail(account.email, resetUrl, minutes));
}
