import { toHex } from "../crypto/encoding";
import { hmacSha256 } from "../crypto/hash";
import type { Config } from "../env";

/** Where alerts are POSTed; `secret` is null only in development (unsigned, for a local receiver). */
export interface AlertWebhook {
  url: string;
  secret: string | null;
}

/** How long one POST may take before it counts as failed (and is retried later). */
export const ALERT_POST_TIMEOUT_MS = 5_000;

export type AlertPostOutcome = { ok: true } | { ok: false; error: string };

export function alertWebhookOf(config: Config): AlertWebhook | null {
  if (!config.ALERT_WEBHOOK_URL) return null;
  return { url: config.ALERT_WEBHOOK_URL, secret: config.ALERT_WEBHOOK_SECRET ?? null };
}

/**
 * `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (API.md; Stripe's scheme): the time is
 * signed with the body, so a receiver that checks it refuses a captured alert replayed later.
 */
export async function alertSignature(secret: string, body: string, unixSeconds: number): Promise<string> {
  const mac = await hmacSha256(secret, `${unixSeconds}.${body}`);
  return `t=${unixSeconds},v1=${toHex(mac)}`;
}

/**
 * POSTs one alert body, signed afresh at `now`. A 2xx is delivered; anything else (another status,
 * a redirect, which is never followed, a network error, no answer in 5 s) is a failure to retry.
 * The error names what happened, never the hook's answer, which is not ours to keep.
 */
export async function postAlert(webhook: AlertWebhook, body: string, now: number): Promise<AlertPostOutcome> {
  const headers: Record<string, string> = { "Content-Type": "application/json" };
  if (webhook.secret !== null) {
    headers["X-ImageBot-Signature"] = await alertSignature(webhook.secret, body, Math.floor(now / 1000));
  }
  try {
    const response = await fetch(webhook.url, {
      method: "POST",
      headers,
      body,
      redirect: "manual",
      signal: AbortSignal.timeout(ALERT_POST_TIMEOUT_MS),
    });
    await response.body?.cancel();
    return response.ok ? { ok: true } : { ok: false, error: `HTTP ${response.status}` };
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return { ok: false, error: timedOut ? "timeout" : "network error" };
  }
}
