import { database } from "../db/client";
import { clearMailFollowUp, findMail, markMailFailed, markMailSent, recordMailDeliveryError } from "../db/outbox";
import { type Bindings, loadConfig, type MailDeliveryMessage } from "../env";
import { runMailFollowUp } from "../services/mail-follow-ups";
import { configuredMailTransport, type MailTransport } from "../services/mail-transports";

/** The dead-letter queues' names start so (wrangler.toml: `imagebot-mail-dlq-<environment>`). */
const DEAD_LETTER_QUEUE_PREFIX = "imagebot-mail-dlq";
/** Retry delays: 30 s, 1 min, 2 min, 4 min, 8 min, then 15 min (the queue's max_retries ends it). */
const FIRST_RETRY_DELAY_SECONDS = 30;
const MAX_RETRY_DELAY_SECONDS = 15 * 60;
const MAX_REASON_CHARS = 500;

export function isMailDeadLetterQueue(queueName: string): boolean {
  return queueName.startsWith(DEAD_LETTER_QUEUE_PREFIX);
}

/** The delay before the next attempt, doubling from 30 s; `attempts` counts the one that failed (1 first). */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(FIRST_RETRY_DELAY_SECONDS * 2 ** Math.max(0, attempts - 1), MAX_RETRY_DELAY_SECONDS);
}

function mailIdOf(body: unknown): string | null {
  const mailId = (body as Partial<MailDeliveryMessage> | null)?.mailId;
  return typeof mailId === "string" && mailId.startsWith("mail_") ? mailId : null;
}

/**
 * Why a delivery failed, as kept in the outbox row: the transport's error, with anything of the
 * mail's text it may quote and anything shaped like a link token taken out.
 */
export function failureReason(error: unknown, text: string): string {
  let reason = error instanceof Error ? `${error.name}: ${error.message}` : "unknown error";
  for (const line of text.split("\n")) {
    if (line.trim().length >= 8) reason = reason.split(line.trim()).join("[mail text]");
  }
  return reason.replace(/([?&]token=)[^\s&"']+/gi, "$1[redacted]").slice(0, MAX_REASON_CHARS);
}

/**
 * Delivers one outbox mail, or throws for a retry. Idempotent, since a queue delivers at least
 * once: a `sent` row is not sent again (only a follow-up left over from a failed run is run), a
 * `failed` or deleted one (erased account, retention) is dropped.
 */
async function deliverMail(db: ReturnType<typeof database>, transport: MailTransport, mailId: string) {
  const row = await findMail(db, mailId);
  if (!row || row.status === "failed") return;
  if (row.status === "stored") {
    if (row.text === null) {
      // The retention run erased it: its link died before any attempt got through.
      await markMailFailed(db, row.id, "its text expired before it could be delivered");
      return;
    }
    try {
      await transport.deliver({ to: row.toAddress, subject: row.subject, text: row.text });
    } catch (error) {
      await recordMailDeliveryError(db, row.id, failureReason(error, row.text));
      throw error;
    }
    await markMailSent(db, row.id, new Date());
  }
  if (row.followUp) {
    await runMailFollowUp(db, row, row.followUp);
    await clearMailFollowUp(db, row.id);
  }
}

/** The mail queue's consumer: each message is acknowledged once delivered, or retried with backoff. */
async function deliverBatch(batch: MessageBatch<unknown>, env: Bindings) {
  const config = loadConfig(env);
  if (!config.ok) throw new Error("the configuration is invalid: no mail can be delivered");
  const transport = configuredMailTransport(config.config, env);
  const db = database(env.DB);
  for (const message of batch.messages) {
    const mailId = mailIdOf(message.body);
    // Nothing to deliver: a malformed message, or the local outbox (a stored mail has arrived).
    if (!mailId || !transport) {
      message.ack();
      continue;
    }
    try {
      await deliverMail(db, transport, mailId);
      message.ack();
    } catch (error) {
      // The id and the error's name only: the message may quote the mail.
      const name = error instanceof Error ? error.name : "unknown";
      console.error(`mail ${mailId} not delivered by ${transport.name} (attempt ${message.attempts}): ${name}`);
      message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    }
  }
}

/** The dead-letter queue's consumer: the mail kept failing; `failed`, with its last reason. */
async function giveUpBatch(batch: MessageBatch<unknown>, env: Bindings) {
  const db = database(env.DB);
  for (const message of batch.messages) {
    const mailId = mailIdOf(message.body);
    if (mailId) {
      await markMailFailed(db, mailId, "delivery kept failing");
      console.error(`mail ${mailId} failed: no attempt delivered it`);
    }
    message.ack();
  }
}

export async function handleMailQueue(batch: MessageBatch<unknown>, env: Bindings): Promise<void> {
  if (isMailDeadLetterQueue(batch.queue)) await giveUpBatch(batch, env);
  else await deliverBatch(batch, env);
}
