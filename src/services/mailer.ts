import type { Context } from "hono";
import { database } from "../db/client";
import { markMailFailed, storeMail } from "../db/outbox";
import type { MailFollowUp, OutboxMail } from "../db/schema";
import type { AppEnv, MailDeliveryMessage } from "../env";
import { runMailFollowUp } from "./mail-follow-ups";
import { configuredMailTransport } from "./mail-transports";

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
  /** When the token the text carries dies: an undelivered mail's text is erased then (retention). */
  linkExpiresAt?: Date;
}

/** What the rest of the service knows about mail: hand one over, and it is not lost. */
export interface Mailer {
  /**
   * Resolves to whether the mail is safely stored (it never rejects). `followUp` runs once the
   * mail has left us: after the queue consumer's transport accepted it, or, with no transport
   * (the local outbox is the mailbox), once it is stored. It never runs for a mail that failed.
   */
  send(mail: OutgoingMail, options?: { followUp?: MailFollowUp }): Promise<boolean>;
}

/**
 * Writes each mail to the D1 outbox first (awaited), then, when a transport is configured, puts
 * its id (never its text: a queue is no place for personal data or links) on the mail queue,
 * whose consumer delivers it with retries (src/jobs/mail-delivery.ts). Nothing here ever fails
 * the request that sent the mail.
 */
export class OutboxMailer implements Mailer {
  constructor(
    private readonly db: ReturnType<typeof database>,
    /** Null for the local `outbox` transport: a stored mail has arrived. */
    private readonly queue: Queue<MailDeliveryMessage> | null,
    private readonly logNotices: boolean,
  ) {}

  async send(mail: OutgoingMail, options: { followUp?: MailFollowUp } = {}): Promise<boolean> {
    let row: OutboxMail;
    try {
      row = await storeMail(this.db, mail, new Date(), this.queue ? (options.followUp ?? null) : null);
    } catch (error) {
      console.error(`mail not stored: ${error instanceof Error ? error.name : "unknown"}`);
      return false;
    }
    // The subject only: bodies can carry reset links.
    if (this.logNotices) console.log(`mail stored in the outbox: "${mail.subject}"`);
    if (!this.queue) {
      if (options.followUp) await runMailFollowUp(this.db, row, options.followUp);
      return true;
    }
    try {
      await this.queue.send({ mailId: row.id });
    } catch (error) {
      // Nothing would ever deliver it: say so in the outbox (the security summary counts `failed`).
      console.error(`mail ${row.id} not queued: ${error instanceof Error ? error.name : "unknown"}`);
      await markMailFailed(this.db, row.id, "the mail queue refused it").catch(() => {});
    }
    return true;
  }
}

export function mailerFor(c: Context<AppEnv>): Mailer {
  const config = c.get("config");
  // loadConfig refuses a transport without MAIL_QUEUE, so `?? null` only ever applies to `outbox`.
  const queue = configuredMailTransport(config, c.env) ? (c.env.MAIL_QUEUE ?? null) : null;
  return new OutboxMailer(database(c.env.DB), queue, config.ENVIRONMENT === "development");
}
