import type { Context } from "hono";
import { auditContext } from "../../auth/audit-context";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import type { User } from "../../db/schema";
import { hasSessionFromIpSince } from "../../db/sessions";
import type { AppEnv } from "../../env";
import { newSignInMail } from "../../services/mail-templates";
import { mailerFor } from "../../services/mailer";
import { noteSignInCountry } from "../../services/sign-in-country";
import { type SessionDelivery, type SignInMethod, startSession } from "./start-session";

const NEW_IP_LOOKBACK_MS = 30 * 24 * 60 * 60 * 1000;

/**
 * The end of every successful sign-in (password, second factor, passkey, provider): a new session,
 * the audit row, a notice when the address has not been used in the last 30 days, and one when
 * the country has not (src/services/sign-in-country.ts).
 */
export async function completeLogin(
  c: Context<AppEnv>,
  user: User,
  how: { delivery: SessionDelivery; signInMethod: SignInMethod },
  metadata: Record<string, unknown> = {},
) {
  const db = database(c.env.DB);
  const ip = c.get("clientIp");
  const now = new Date();
  const knownIp = await hasSessionFromIpSince(db, user.id, ip, new Date(now.getTime() - NEW_IP_LOOKBACK_MS));
  const session = await startSession(c, user, how);
  await recordAuditEvent(db, auditContext(c), {
    type: "auth.login",
    userId: user.id,
    metadata: { sessionId: session.sessionId, ...metadata },
  });
  if (!knownIp) {
    await recordAuditEvent(db, auditContext(c), { type: "auth.new_ip_notice", userId: user.id });
    await mailerFor(c).send(newSignInMail(user.email, { ip, userAgent: c.req.header("User-Agent") ?? null, at: now }));
  }
  await noteSignInCountry(c, user, now);
  return session.response;
}
