import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { expect, vi } from "vitest";
import type { Bindings } from "../../src/env";
import worker from "../../src/index";
import { api, mailboxIp } from "./api";
import { rememberSecret } from "./secret-registry";

export interface OutboxEntry {
  id: string;
  to: string;
  subject: string;
  text: string;
  createdAt: string;
}

export async function readOutbox(to: string): Promise<OutboxEntry[]> {
  const response = await api("GET", `/dev/outbox?to=${encodeURIComponent(to)}`, { ip: mailboxIp(to) });
  expect(response.status).toBe(200);
  return ((await response.json()) as { data: OutboxEntry[] }).data;
}

/** Waits for a mail whose subject matches (some are written after the response) and returns it. */
export async function waitForMail(to: string, subject: RegExp): Promise<OutboxEntry> {
  return vi.waitFor(async () => {
    const mail = (await readOutbox(to)).find((entry) => subject.test(entry.subject));
    if (!mail) throw new Error(`no mail matching ${subject} for ${to}`);
    return mail;
  });
}

/** The token of the reset link in a mail (`…?token=<token>`). */
export function tokenFromMail(mail: OutboxEntry): string {
  const match = /\?token=([A-Za-z0-9_-]+)/.exec(mail.text);
  if (!match?.[1]) throw new Error("no token link in the mail");
  rememberSecret(match[1]);
  return match[1];
}

/** The local queues of wrangler.toml's top level (miniflare runs them in the pool and under `npm start`). */
export const MAIL_QUEUE = "imagebot-mail-local";
export const MAIL_DEAD_LETTER_QUEUE = "imagebot-mail-dlq-local";

/**
 * Runs the Worker's queue consumer on one message `{ mailId }`, under a configuration (the
 * transport) of the test's choosing, as the queue would deliver it for the `attempts`-th time;
 * answers which messages were acknowledged and which retried, and the retry delays asked for.
 */
export async function consumeMailMessage(
  overrides: Partial<Record<keyof Bindings, unknown>>,
  mailId: string,
  { attempts = 1, queue = MAIL_QUEUE }: { attempts?: number; queue?: string } = {},
) {
  const batch = createMessageBatch(queue, [
    { id: crypto.randomUUID(), timestamp: new Date(), attempts, body: { mailId } },
  ]);
  // getQueueResult names retried messages without their delay: the delay asked for is kept here.
  const retryDelays: (number | undefined)[] = [];
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    message.retry = (options) => {
      retryDelays.push(options?.delaySeconds);
      retry(options);
    };
  }
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...overrides } as Bindings);
  return { ...(await getQueueResult(batch, ctx)), retryDelays };
}

export interface OutboxRow {
  id: string;
  status: string;
  error: string | null;
  text: string | null;
  sent_at: number | null;
  follow_up: string | null;
}

/** The outbox rows of one address and subject, oldest first, as D1 holds them. */
export async function outboxRows(to: string, subject: string): Promise<OutboxRow[]> {
  const { results } = await env.DB.prepare(
    "SELECT id, status, error, text, sent_at, follow_up FROM email_outbox WHERE to_address = ? AND subject = ? ORDER BY created_at, id",
  )
    .bind(to, subject)
    .all<OutboxRow>();
  return results;
}
