import type { Bindings, Config } from "../env";
import type { OutgoingMail } from "./mailer";

/** Delivers one mail or throws; the outbox records the error. */
export interface MailTransport {
  name: string;
  deliver(mail: OutgoingMail): Promise<void>;
}

/** Cloudflare Email Service: the `send_email` binding named SEND_EMAIL in wrangler.toml. */
export function sendEmailBindingTransport(binding: SendEmail | undefined, from: string): MailTransport {
  return {
    name: "send_email",
    async deliver(mail) {
      if (!binding) throw new Error("the SEND_EMAIL binding is not configured");
      await binding.send({ from, to: mail.to, subject: mail.subject, text: mail.text });
    },
  };
}

/**
 * An HTTP mail API that takes `{from, to, subject, text}` as JSON with a bearer token (the shape
 * of Resend's `POST /emails`, and of most transactional mail APIs behind a small adapter).
 */
export function httpMailTransport(url: string | undefined, token: string | undefined, from: string): MailTransport {
  return {
    name: "http",
    async deliver(mail) {
      if (!url || !token) throw new Error("MAIL_HTTP_URL and MAIL_HTTP_TOKEN must be set");
      const response = await fetch(url, {
        method: "POST",
        headers: { "Content-Type": "application/json", Authorization: `Bearer ${token}` },
        body: JSON.stringify({ from, to: [mail.to], subject: mail.subject, text: mail.text }),
      });
      if (!response.ok) throw new Error(`mail API answered ${response.status}`);
    },
  };
}

/** The configured transport, or null for the local `outbox` transport (the D1 outbox is the mailbox). */
export function configuredMailTransport(config: Config, env: Bindings): MailTransport | null {
  if (config.MAIL_TRANSPORT === "send_email") return sendEmailBindingTransport(env.SEND_EMAIL, config.MAIL_FROM);
  if (config.MAIL_TRANSPORT === "http") {
    return httpMailTransport(config.MAIL_HTTP_URL, config.MAIL_HTTP_TOKEN, config.MAIL_FROM);
  }
  return null;
}
