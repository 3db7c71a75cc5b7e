import type { Context } from "hono";
import { database } from "../db/client";
import { markMailFailed, markMailSent, storeMail } from "../db/outbox";
import type { OutboxMail } from "../db/schema";
import type { AppEnv } from "../env";
import { httpMailTransport, type MailTransport, sendEmailBindingTransport } from "./mail-transports";

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
   * Resolves to whether the mail is safely stored (it never rejects). `afterHandOver` runs once
   * the mail has left us: when the transport accepted it, or, with no transport (the local
   * outbox is the mailbox), once it is stored. It never runs for a mail that failed.
   */
  send(mail: OutgoingMail, options?: { afterHandOver?: () => Promise<unknown> }): Promise<boolean>;
}

/**
 * Writes each mail to the D1 outbox first (awaited), then delivers it off the response path
 * when a transport is configured. Nothing here ever fails the request that sent the mail:
 * a delivery error stays in the outbox row for a later retry.
 */
export class OutboxMailer implements Mailer {
  constructor(
    private readonly db: ReturnType<typeof database>,
    private readonly transport: MailTransport | null,
    private readonly waitUntil: (promise: Promise<unknown>) => void,
    private readonly logNotices: boolean,
  ) {}

  async send(mail: OutgoingMail, options: { afterHandOver?: () => Promise<unknown> } = {}): Promise<boolean> {
    let row: OutboxMail;
    try {
      row = await storeMail(this.db, mail, new Date());
    } catch (error) {
      console.error(`mail not stored: ${error instanceof Error ? error.name : "unknown"}`);
      return false;
    }
    // The subject only: bodies can carry reset links.
    if (this.logNotices) console.log(`mail stored in the outbox: "${mail.subject}"`);
    if (this.transport) this.waitUntil(this.deliver(this.transport, row, mail, options.afterHandOver));
    else await options.afterHandOver?.();
    return true;
  }

  private async deliver(
    transport: MailTransport,
    row: OutboxMail,
    mail: OutgoingMail,
    afterHandOver: (() => Promise<unknown>) | undefined,
  ): Promise<void> {
    try {
      await transport.deliver(mail);
      await markMailSent(this.db, row.id, new Date());
      await afterHandOver?.();
    } catch (error) {
      const reason = error instanceof Error ? `${error.name}: ${error.message}`.slice(0, 500) : "unknown error";
      console.error(`mail ${row.id} not delivered by ${transport.name}`);
      await markMailFailed(this.db, row.id, reason).catch(() => {});
    }
  }
}

export function mailerFor(c: Context<AppEnv>): Mailer {
  const config = c.get("config");
  const transport =
    config.MAIL_TRANSPORT === "send_email"
      ? sendEmailBindingTransport(c.env.SEND_EMAIL, config.MAIL_FROM)
      : config.MAIL_TRANSPORT === "http"
        ? httpMailTransport(config.MAIL_HTTP_URL, config.MAIL_HTTP_TOKEN, config.MAIL_FROM)
        : null;
  return new OutboxMailer(
    database(c.env.DB),
    transport,
    (promise) => c.executionCtx.waitUntil(promise),
    config.ENVIRONMENT === "development",
  );
}
