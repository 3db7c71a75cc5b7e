import { createScheduledController } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Bindings } from "../../src/env";
import worker from "../../src/index";
import { runRetention } from "../../src/jobs/retention";
import { env, registerUser } from "../helpers/api";
import { failingWrites } from "../helpers/faults";
import { createImage } from "../helpers/fixtures";
import { capturedLines } from "../helpers/log-capture";

const DAY = 86_400_000;
const NOW = Date.UTC(2027, 5, 1, 3, 17);

async function exists(table: string, id: string) {
  return (await env.DB.prepare(`SELECT 1 AS found FROM ${table} WHERE id = ?`).bind(id).first()) !== null;
}

describe("the retention run (injected clock)", () => {
  it("deletes what is just past each limit and keeps what is just inside it", async () => {
    const user = await registerUser();
    const insert = (id: string, createdAt: number) =>
      env.DB.prepare(
        "INSERT INTO audit_log (id, type, user_id, metadata, created_at) VALUES (?, 'test.event', ?, '{}', ?)",
      )
        .bind(id, user.id, createdAt)
        .run();
    await insert("aud_old", NOW - 365 * DAY - 1);
    await insert("aud_kept", NOW - 365 * DAY + 1);

    const purged = await createImage(user.token);
    const restorable = await createImage(user.token);
    await env.DB.prepare("UPDATE images SET deleted_at = ? WHERE id = ?")
      .bind(NOW - 30 * DAY - 1, purged.id)
      .run();
    await env.DB.prepare("UPDATE images SET deleted_at = ? WHERE id = ?")
      .bind(NOW - 30 * DAY + 1, restorable.id)
      .run();

    const sessionInsert = (id: string, expiresAt: number) =>
      env.DB.prepare("INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)")
        .bind(id, user.id, NOW - 8 * DAY, NOW - 8 * DAY, expiresAt)
        .run();
    await sessionInsert("ses_expired", NOW - 1);
    await sessionInsert("ses_live", NOW + 1);

    const tokenInsert = (id: string, expiresAt: number) =>
      env.DB.prepare(
        "INSERT INTO password_reset_tokens (id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
      )
        .bind(id, user.id, `hash_${id}`, NOW - 2 * DAY, expiresAt)
        .run();
    await tokenInsert("rst_expired", NOW - 1);
    await tokenInsert("rst_live", NOW + 1);
    const linkInsert = (id: string, expiresAt: number) =>
      env.DB.prepare(
        "INSERT INTO email_verification_tokens (id, user_id, email, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
        .bind(id, user.id, user.email, `hash_${id}`, NOW - 2 * DAY, expiresAt)
        .run();
    await linkInsert("evt_expired", NOW - 1);
    await linkInsert("evt_live", NOW + 1);

    const report = await runRetention(env, new Date(NOW));
    expect(report).toMatchObject({ auditRows: expect.any(Number), images: 1, resetTokens: 1 });
    expect(await exists("audit_log", "aud_old")).toBe(false);
    expect(await exists("audit_log", "aud_kept")).toBe(true);
    expect(await exists("images", purged.id)).toBe(false);
    expect(await env.IMAGES.get(`images/${purged.id}`)).toBeNull();
    expect(await exists("images", restorable.id)).toBe(true);
    expect(await env.IMAGES.get(`images/${restorable.id}`)).not.toBeNull();
    expect(await exists("sessions", "ses_expired")).toBe(false);
    expect(await exists("sessions", "ses_live")).toBe(true);
    expect(await exists("password_reset_tokens", "rst_expired")).toBe(false);
    expect(await exists("password_reset_tokens", "rst_live")).toBe(true);
    expect(await exists("email_verification_tokens", "evt_expired")).toBe(false);
    expect(await exists("email_verification_tokens", "evt_live")).toBe(true);
  });

  it("deletes invitations, revoked sessions and Stripe events just past their limits and keeps the rest", async () => {
    const user = await registerUser();
    const run = (sql: string, ...values: unknown[]) =>
      env.DB.prepare(sql)
        .bind(...values)
        .run();
    await run("INSERT INTO teams (id, name, created_at, updated_at) VALUES ('tea_retention', 'R', ?, ?)", NOW, NOW);
    const invitation = (id: string, expiresAt: number) =>
      run(
        `INSERT INTO team_invitations (id, team_id, email, role, token_hash, created_at, expires_at)
         VALUES (?, 'tea_retention', ?, 'member', ?, ?, ?)`,
        id,
        // One pending invitation per team and address: each its own address.
        `${id}@example.com`,
        `hash_${id}`,
        NOW - 8 * DAY,
        expiresAt,
      );
    await invitation("inv_expired", NOW - 1);
    await invitation("inv_live", NOW + 1);

    // A revoked session is kept while a token it issued may still be valid (7 days and 60 s of skew).
    const tokensOutlive = 7 * DAY + 60_000;
    const revokedSession = (id: string, revokedAt: number) =>
      run(
        "INSERT INTO sessions (id, user_id, created_at, last_seen_at, expires_at, revoked_at) VALUES (?, ?, ?, ?, ?, ?)",
        id,
        user.id,
        NOW - 9 * DAY,
        NOW - 9 * DAY,
        NOW + DAY,
        revokedAt,
      );
    await revokedSession("ses_revoked_long_ago", NOW - tokensOutlive - 1);
    await revokedSession("ses_revoked_recently", NOW - tokensOutlive + 1);

    const stripeEvent = (id: string, receivedAt: number) =>
      run("INSERT INTO stripe_events (id, type, received_at) VALUES (?, 'invoice.paid', ?)", id, receivedAt);
    await stripeEvent("evt_old", NOW - 7 * DAY - 1);
    await stripeEvent("evt_recent", NOW - 7 * DAY + 1);

    // Invitation sends count toward the caps for 24 h, then go.
    const send = (id: string, createdAt: number) =>
      run(
        "INSERT INTO invitation_sends (invitation_id, team_id, email_hash, created_at) VALUES (?, 'tea_retention', 'h', ?)",
        id,
        createdAt,
      );
    await send("inv_sent_yesterday", NOW - DAY - 1);
    await send("inv_sent_today", NOW - DAY + 1);

    const report = await runRetention(env, new Date(NOW));
    expect(report).toMatchObject({ invitations: 1, invitationSends: 1, stripeEvents: 1 });
    const sends = await env.DB.prepare("SELECT invitation_id FROM invitation_sends").all();
    expect(sends.results).toEqual([{ invitation_id: "inv_sent_today" }]);
    expect(await exists("team_invitations", "inv_expired")).toBe(false);
    expect(await exists("team_invitations", "inv_live")).toBe(true);
    expect(await exists("sessions", "ses_revoked_long_ago")).toBe(false);
    expect(await exists("sessions", "ses_revoked_recently")).toBe(true);
    expect(await exists("stripe_events", "evt_old")).toBe(false);
    expect(await exists("stripe_events", "evt_recent")).toBe(true);
  });

  it("is idempotent: a second run finds nothing more, and a run after bytes went but rows stayed finishes", async () => {
    const user = await registerUser();
    const image = await createImage(user.token);
    await env.DB.prepare("UPDATE images SET deleted_at = ? WHERE id = ?")
      .bind(NOW - 31 * DAY, image.id)
      .run();
    await env.IMAGES.delete(`images/${image.id}`);
    const first = await runRetention(env, new Date(NOW));
    expect(first.images).toBe(1);
    expect(await exists("images", image.id)).toBe(false);
    const second = await runRetention(env, new Date(NOW));
    expect(second).toMatchObject({ auditRows: 0, images: 0, resetTokens: 0, invitations: 0 });
  });
});

describe("retention keeps up with volume", () => {
  const insertAuditRows = (count: number, createdAt: number) =>
    env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO audit_log (id, type, metadata, created_at)
       SELECT 'aud_bulk_' || ? || '_' || i, 'test.event', '{}', ? FROM n`,
    )
      .bind(count, crypto.randomUUID(), createdAt)
      .run();
  const countRows = async (sql: string) => (await env.DB.prepare(sql).first<{ n: number }>("n")) as unknown as number;

  it("deletes sign-in flows that were never finished once their 10 minutes are over, and keeps live ones", async () => {
    const flow = (hash: string, expiresAt: number) =>
      env.DB.prepare(
        `INSERT INTO oauth_states (state_hash, browser_hash, provider, return_to, created_at, expires_at)
         VALUES (?, 'browser', 'github', '/console', ?, ?)`,
      )
        .bind(hash, expiresAt - 600_000, expiresAt)
        .run();
    await flow("state_expired", NOW - 1);
    await flow("state_live", NOW + 1);
    const report = await runRetention(env, new Date(NOW));
    expect(report.oauthStates).toBe(1);
    const left = await env.DB.prepare("SELECT state_hash FROM oauth_states ORDER BY state_hash").all();
    expect(left.results).toEqual([{ state_hash: "state_live" }]);
  });

  it("forgets a sign-in country 30 days after it was last seen, and keeps the others", async () => {
    const user = await registerUser();
    const seen = (country: string, at: number) =>
      env.DB.prepare("INSERT INTO sign_in_countries (user_id, country, last_seen_at) VALUES (?, ?, ?)")
        .bind(user.id, country, at)
        .run();
    await seen("DE", NOW - 30 * DAY - 1);
    await seen("FR", NOW - 30 * DAY + 1);
    const report = await runRetention(env, new Date(NOW));
    expect(report.signInCountries).toBeGreaterThanOrEqual(1);
    const left = await env.DB.prepare("SELECT country FROM sign_in_countries WHERE user_id = ?").bind(user.id).all();
    expect(left.results).toEqual([{ country: "FR" }]);
  });

  it("deletes every expired row in one run, batch after batch, and says it finished", async () => {
    await insertAuditRows(2_500, NOW - 400 * DAY);
    const report = await runRetention(env, new Date(NOW));
    expect(report.finished).toBe(true);
    expect(report.auditRows).toBeGreaterThanOrEqual(2_500);
    expect(await countRows(`SELECT count(*) AS n FROM audit_log WHERE created_at < ${NOW - 365 * DAY}`)).toBe(0);
  });

  it("stops when its budget is spent, says so, and the next run goes on", async () => {
    await insertAuditRows(1_500, NOW - 400 * DAY);
    const cut = await runRetention(env, new Date(NOW), 0);
    expect(cut.finished).toBe(false);
    expect(await countRows(`SELECT count(*) AS n FROM audit_log WHERE created_at < ${NOW - 365 * DAY}`)).toBe(1_500);
    const next = await runRetention(env, new Date(NOW));
    expect(next).toMatchObject({ finished: true, auditRows: 1_500 });
  });

  it("erases an undelivered mail's text (its link) after 7 days and deletes mail after 30", async () => {
    const mail = (id: string, createdAt: number) =>
      env.DB.prepare(
        `INSERT INTO email_outbox (id, to_address, subject, text, status, error, created_at)
         VALUES (?, 'someone@example.com', 'Reset your ImageBot password', 'https://x/reset?token=t', 'failed', 'refused', ?)`,
      )
        .bind(id, createdAt)
        .run();
    await mail("mail_week_old", NOW - 7 * DAY - 1);
    await mail("mail_recent", NOW - 7 * DAY + 1);
    await mail("mail_month_old", NOW - 30 * DAY - 1);
    await runRetention(env, new Date(NOW));
    const row = (id: string) =>
      env.DB.prepare("SELECT subject, text, error FROM email_outbox WHERE id = ?").bind(id).first();
    expect(await row("mail_week_old")).toEqual({
      subject: "Reset your ImageBot password",
      text: null,
      error: "refused",
    });
    expect(await row("mail_recent")).toMatchObject({ text: "https://x/reset?token=t" });
    expect(await row("mail_month_old")).toBeNull();
  });

  it("erases an undelivered mail's text as soon as the link in it has died, whatever its age", async () => {
    const mail = (id: string, textExpiresAt: number) =>
      env.DB.prepare(
        `INSERT INTO email_outbox (id, to_address, subject, text, status, error, created_at, text_expires_at)
         VALUES (?, 'someone@example.com', 'Reset your ImageBot password', 'https://x/reset?token=t', 'failed', 'refused', ?, ?)`,
      )
        .bind(id, NOW - 2 * 3_600_000, textExpiresAt)
        .run();
    await mail("mail_link_dead", NOW - 1);
    await mail("mail_link_alive", NOW + 1);
    await runRetention(env, new Date(NOW));
    const text = async (id: string) =>
      (await env.DB.prepare("SELECT text FROM email_outbox WHERE id = ?").bind(id).first<{ text: string | null }>())
        ?.text;
    expect(await text("mail_link_dead")).toBeNull();
    expect(await text("mail_link_alive")).toBe("https://x/reset?token=t");
  });
});

describe("the cron trigger", () => {
  const runCron = () =>
    worker.scheduled(createScheduledController({ scheduledTime: NOW, cron: "17 3 * * *" }), env as Bindings);

  it("logs the report of a run", async () => {
    const before = capturedLines().length;
    await runCron();
    expect(capturedLines().slice(before)).toContainEqual(
      expect.stringMatching(/^retention: \{"finished":true,"auditRows":\d+,/),
    );
  });

  it("logs a failed run by the error's name only, and fails the invocation so the platform records it", async () => {
    const user = await registerUser();
    await env.DB.prepare(
      "INSERT INTO audit_log (id, type, user_id, metadata, created_at) VALUES ('aud_stuck', 'test.event', ?, '{}', ?)",
    )
      .bind(user.id, NOW - 366 * DAY)
      .run();
    // D1 itself refuses to delete the expired row: the run fails in the real database.
    const fault = await failingWrites("audit_log", "DELETE");
    const before = capturedLines().length;
    try {
      await expect(runCron()).rejects.toThrow();
    } finally {
      await fault.drop();
    }
    const logged = capturedLines().slice(before);
    expect(logged).toContainEqual("retention failed: Error");
    expect(logged.join("\n")).not.toMatch(/injected|audit_log|DELETE/);
  });
});
