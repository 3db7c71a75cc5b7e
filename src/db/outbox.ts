import { and, desc, eq } from "drizzle-orm";
import { newId } from "../crypto/random";
import type { Database } from "./client";
import { afterCursor, type CursorPosition } from "./cursor";
import { emailOutbox, type OutboxMail } from "./schema";

export async function storeMail(
  db: Database,
  mail: { to: string; subject: string; text: string },
  now: Date,
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
    })
    .returning();
  if (!row) throw new Error("insert returned no row");
  return row;
}

/** Delivered: the body is erased, since it may hold a reset or invitation link. */
export async function markMailSent(db: Database, mailId: string, now: Date): Promise<void> {
  await db
    .update(emailOutbox)
    .set({ status: "sent", sentAt: now, text: null, error: null })
    .where(eq(emailOutbox.id, mailId));
}

export async function markMailFailed(db: Database, mailId: string, error: string): Promise<void> {
  await db.update(emailOutbox).set({ status: "failed", error }).where(eq(emailOutbox.id, mailId));
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
