import type { Context } from "hono";
import { sha256Hex } from "../../crypto/hash";
import { randomToken } from "../../crypto/random";
import { database } from "../../db/client";
import { insertResetToken } from "../../db/reset-tokens";
import type { AppEnv } from "../../env";
import { mailerFor, type OutgoingMail } from "../../services/mailer";

export const RESET_TOKEN_LIFETIME_MS = 60 * 60 * 1000;

/**
 * Issues a password-reset token (32 random bytes, valid one hour, single use; only its SHA-256
 * is stored) and mails the link that carries it, composed by `compose`. The user's older links
 * are voided only once the new mail has left us (the transport accepted it; the mail's follow-up,
 * run by the queue consumer): if it cannot be stored or delivered, the links already mailed keep
 * working, and the new token, which nobody has, simply expires. At that moment the text of older
 * undelivered reset mails (their links, now dead) is erased from the outbox too.
 */
export async function mailResetLink(
  c: Context<AppEnv>,
  userId: string,
  compose: (resetUrl: string) => OutgoingMail,
): Promise<void> {
  const db = database(c.env.DB);
  const token = randomToken(32);
  const tokenHash = await sha256Hex(token);
  const now = new Date();
  await insertResetToken(db, { userId, tokenHash, expiresAt: new Date(now.getTime() + RESET_TOKEN_LIFETIME_MS) }, now);
  const url = new URL("/console/reset-password", c.get("config").APP_URL);
  url.searchParams.set("token", token);
  const mail = { ...compose(url.toString()), linkExpiresAt: new Date(now.getTime() + RESET_TOKEN_LIFETIME_MS) };
  await mailerFor(c).send(mail, {
    followUp: { kind: "void_older_reset_links", userId, keepHash: tokenHash, issuedAt: now.getTime() },
  });
}
