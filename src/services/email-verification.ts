import type { Context } from "hono";
import { sha256Hex } from "../crypto/hash";
import { randomToken } from "../crypto/random";
import { database } from "../db/client";
import { insertVerificationTokenWithinCap, voidOlderVerificationTokens } from "../db/email-verification";
import { findUserById } from "../db/users";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { mailerFor, type OutgoingMail } from "./mailer";

export const VERIFICATION_TOKEN_LIFETIME_MS = 24 * 60 * 60 * 1000;

/**
 * Issues a link that proves `email` for the user (32 random bytes, valid 24 h, single use; only
 * its SHA-256 is stored) and mails it, composed by `compose`. The user's older links are voided
 * once the new mail is safely in the outbox (as for reset links, see reset-link.ts).
 * `beforeMail` runs once the link is stored and before it is mailed (an email change records its
 * pending address there, so the link never reaches anyone before it can be used).
 * Returns null when mailed, or the wait when the address has had its verification mails for
 * the hour (then nothing is stored or mailed).
 */
export async function mailVerificationLink(
  c: Context<AppEnv>,
  link: { userId: string; email: string },
  compose: (verifyUrl: string) => OutgoingMail,
  beforeMail?: () => Promise<void>,
): Promise<{ retryAfterSeconds: number } | null> {
  const db = database(c.env.DB);
  const token = randomToken(32);
  const tokenHash = await sha256Hex(token);
  const now = new Date();
  const capped = await insertVerificationTokenWithinCap(
    db,
    { ...link, tokenHash, expiresAt: new Date(now.getTime() + VERIFICATION_TOKEN_LIFETIME_MS) },
    now,
  );
  if (capped) return capped;
  await beforeMail?.();
  const url = new URL("/console/verify-email", c.get("config").APP_URL);
  url.searchParams.set("token", token);
  const linkExpiresAt = new Date(now.getTime() + VERIFICATION_TOKEN_LIFETIME_MS);
  if (await mailerFor(c).send({ ...compose(url.toString()), linkExpiresAt })) {
    await voidOlderVerificationTokens(db, { userId: link.userId, keepHash: tokenHash, issuedAt: now });
  }
  return null;
}

export function verificationMailsCapped(capped: { retryAfterSeconds: number }): ApiError {
  return new ApiError("rate_limited", {
    detail: "At most 3 verification mails per address in any hour.",
    headers: { "Retry-After": String(capped.retryAfterSeconds) },
  });
}

/**
 * The owner of a session, who must have proved their address (API.md "Email ownership"):
 * without it, an account registered with someone else's address could make credentials and
 * team links that outlive the real owner's password reset. 403 email_unverified otherwise.
 */
export async function requireVerifiedUser(c: Context<AppEnv>, userId: string) {
  const user = await findUserById(database(c.env.DB), userId);
  if (!user) throw new ApiError("unauthorized");
  if (!user.emailVerified) throw new ApiError("email_unverified");
  return user;
}
