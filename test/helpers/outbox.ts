import { expect, vi } from "vitest";
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
