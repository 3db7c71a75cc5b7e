import type { Database } from "../db/client";
import { eraseEarlierMailTexts } from "../db/outbox";
import { voidOlderResetTokens } from "../db/reset-tokens";
import type { MailFollowUp, OutboxMail } from "../db/schema";

/**
 * Runs what must wait until a mail has left us. Every step is idempotent (it only voids and
 * erases), because a queue may deliver the same message twice and a failed step is run again.
 */
export async function runMailFollowUp(
  db: Database,
  mail: Pick<OutboxMail, "toAddress" | "subject">,
  step: MailFollowUp,
) {
  switch (step.kind) {
    case "void_older_reset_links": {
      const issuedAt = new Date(step.issuedAt);
      await voidOlderResetTokens(db, { userId: step.userId, keepHash: step.keepHash, issuedAt });
      await eraseEarlierMailTexts(db, { to: mail.toAddress, subject: mail.subject, before: issuedAt });
      return;
    }
  }
}
