import { and, count, desc, eq, gte, inArray, isNotNull, lt, or, sql } from "drizzle-orm";
import { newId } from "../crypto/random";
import type { Database } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { emailOutbox, type MailFollowUp, type OutboxMail } from "./schema";

export async function storeMail(
  db: Database,
  mail: { to: string; subject: string; text: string; linkExpiresAt?: Date | undefined },
  now: Date,
  followUp: MailFollowUp | null = null,
): Promise<OutboxMail> {
  const [row] = await db
    .insert(emailOutbox)
    .values({
      id: newId("mail"),
      toAddress: mail.to,
      subject: mail.subject,
      text: mail.text,
      status: "stored",
      createdAt: now,
      textExpiresAt: mail.linkExpiresAt ?? null,
      followUp,
    })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

export async function findMail(db: Database, mailId: string): Promise<OutboxMail | undefined> {
  const [row] = await db.select().from(emailOutbox).where(eq(emailOutbox.id, mailId)).limit(1);
  return row;
}

/**
 * Delivered: the body is erased, since it may hold a reset or invitation link. Only a `stored`
 * row changes; the follow-up stays until `clearMailFollowUp` (it runs after this).
 */
export async function markMailSent(db: Database, mailId: string, now: Date): Promise<void> {
  await db
    .update(emailOutbox)
    .set({ status: "sent", sentAt: now, text: null, error: null })
    .where(and(eq(emailOutbox.id, mailId), eq(emailOutbox.status, "stored")));
}

export async function clearMailFollowUp(db: Database, mailId: string): Promise<void> {
  await db.update(emailOutbox).set({ followUp: null }).where(eq(emailOutbox.id, mailId));
}

/** A delivery attempt failed and will be retried: the row stays `stored`, with the latest reason. */
export async function recordMailDeliveryError(db: Database, mailId: string, error: string): Promise<void> {
  await db
    .update(emailOutbox)
    .set({ error })
    .where(and(eq(emailOutbox.id, mailId), eq(emailOutbox.status, "stored")));
}

/**
 * Given up on (the dead-letter queue, or nothing left to send): `failed`, with `error` unless the
 * row already holds the reason of its last attempt. A `sent` row never turns `failed`.
 */
export async function markMailFailed(db: Database, mailId: string, error: string): Promise<void> {
  await db
    .update(emailOutbox)
    .set({ status: "failed", error: sql`coalesce(${emailOutbox.error}, ${error})`, followUp: null })
    .where(and(eq(emailOutbox.id, mailId), eq(emailOutbox.status, "stored")));
}

/** Mails created in [from, to) whose delivery failed for good (the security summary; reads the created_at index). */
export async function countFailedMails(db: Database, from: Date, to: Date): Promise<number> {
  const [row] = await db
    .select({ failed: count() })
    .from(emailOutbox)
    .where(and(gte(emailOutbox.createdAt, from), lt(emailOutbox.createdAt, to), eq(emailOutbox.status, "failed")));
  return row?.failed ?? 0;
}

export async function listOutbox(
  db: Database,
  filter: { to?: string | undefined; limit: number; after?: CursorPosition | undefined },
) {
  return db
    .select()
    .from(emailOutbox)
    .where(
      and(
        filter.to === undefined ? undefined : eq(emailOutbox.toAddress, filter.to),
        afterCursor(emailOutbox, filter.after),
      ),
    )
    .orderBy(desc(emailOutbox.createdAt), desc(emailOutbox.id))
    .limit(filter.limit);
}

/**
 * Erases the text of at most `limit` undelivered mails (subject and error stay) whose link died
 * before `now`, or that were stored before `before` (any mail, link or not: past every token's
 * lifetime the text is only personal data).
 */
export async function eraseUndeliveredMailTexts(
  db: Database,
  { now, before }: { now: Date; before: Date },
  limit: number,
): Promise<number> {
  const stale = db
    .select({ id: emailOutbox.id })
    .from(emailOutbox)
    .where(and(isNotNull(emailOutbox.text), or(lt(emailOutbox.textExpiresAt, now), lt(emailOutbox.createdAt, before))))
    .limit(limit);
  const result = await db.update(emailOutbox).set({ text: null }).where(inArray(emailOutbox.id, stale));
  return result.meta.changes;
}

/** Deletes at most `limit` mails stored before `before`, in one statement. */
export async function deleteMailsCreatedBefore(db: Database, before: Date, limit: number): Promise<number> {
  const old = db.select({ id: emailOutbox.id }).from(emailOutbox).where(lt(emailOutbox.createdAt, before)).limit(limit);
  const result = await db.delete(emailOutbox).where(inArray(emailOutbox.id, old));
  return result.meta.changes;
}

/**
 * Erases the text of every mail of this address and subject stored before `before` that still
 * has one (undelivered: delivered mail has none): a re-issued token made their links dead.
 */
export async function eraseEarlierMailTexts(db: Database, mail: { to: string; subject: string; before: Date }) {
  await db
    .update(emailOutbox)
    .set({ text: null })
    .where(
      and(
        eq(emailOutbox.toAddress, mail.to),
        eq(emailOutbox.subject, mail.subject),
        lt(emailOutbox.createdAt, mail.before),
        isNotNull(emailOutbox.text),
      ),
    );
}
