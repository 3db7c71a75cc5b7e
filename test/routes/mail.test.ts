import { describe, expect, it, vi } from "vitest";
import { api, env, expectProblem, login, randomIp, registerUser } from "../helpers/api";
import { deployedSettings, fetchWithEnv } from "../helpers/custom-env";
import { readOutbox, waitForMail } from "../helpers/outbox";

describe("GET /dev/outbox", () => {
  it("exists only in development", async () => {
    for (const environment of ["staging", "production"]) {
      const response = await fetchWithEnv(
        { ...deployedSettings, ENVIRONMENT: environment },
        new Request("https://edge.test/dev/outbox"),
      );
      await expectProblem(response, 404, "not_found");
      const withQuery = await fetchWithEnv(
        { ...deployedSettings, ENVIRONMENT: environment },
        new Request("https://edge.test/dev/outbox?to=not-an-email&extra=1"),
      );
      await expectProblem(withQuery, 404, "not_found");
    }
  });

  it("lists a recipient's mails newest first", async () => {
    const user = await registerUser();
    await login(user.email, user.password, randomIp());
    await api("POST", "/v1/auth/password/change", {
      token: user.token,
      body: { currentPassword: user.password, newPassword: "outbox order passphrase" },
    });
    const mails = await readOutbox(user.email);
    expect(mails.map((mail) => mail.subject)).toEqual([
      "Your ImageBot password was changed",
      "New sign-in to your ImageBot account",
      "Verify your ImageBot email address",
    ]);
    expect(mails[0]).toEqual({
      id: expect.stringMatching(/^mail_/),
      to: user.email,
      subject: expect.any(String),
      text: expect.any(String),
      createdAt: expect.any(String),
    });
  });
});

describe("sign-in from a new IP", () => {
  it("mails the owner once per address not used in the last 30 days", async () => {
    const user = await registerUser();
    const ip = "198.51.100.77";
    await login(user.email, user.password, ip);
    await login(user.email, user.password, ip);
    const notices = (await readOutbox(user.email)).filter((mail) => /new sign-in/i.test(mail.subject));
    expect(notices).toHaveLength(1);
    expect(notices[0]?.text).toContain(ip);
  });

  it("mails again when the address was last used over 30 days ago", async () => {
    const user = await registerUser();
    const ip = "198.51.100.78";
    await login(user.email, user.password, ip);
    await env.DB.prepare("UPDATE sessions SET created_at = ? WHERE user_id = ? AND ip = ?")
      .bind(Date.now() - 31 * 86_400_000, user.id, ip)
      .run();
    await login(user.email, user.password, ip);
    const notices = (await readOutbox(user.email)).filter((mail) => /new sign-in/i.test(mail.subject));
    expect(notices).toHaveLength(2);
  });
});

describe("sign-in from a new country", () => {
  const DAY_MS = 86_400_000;
  // One address per user: only the country changes (the new-IP notice stays out of the way).
  async function signInFrom(user: { email: string; password: string }, country?: string) {
    const response = await api("POST", "/v1/auth/login", {
      body: { email: user.email, password: user.password },
      ip: "198.51.100.90",
      ...(country ? { cf: { country, asn: 64_496, asOrganization: "Example Transit" } } : {}),
    });
    expect(response.status).toBe(200);
    return ((await response.json()) as { token: string }).token;
  }
  const countryNotices = async (email: string) =>
    (await readOutbox(email)).filter((mail) => /^New sign-in from /.test(mail.subject));
  const countriesOf = async (userId: string) =>
    (
      await env.DB.prepare("SELECT country FROM sign_in_countries WHERE user_id = ? ORDER BY country")
        .bind(userId)
        .all<{ country: string }>()
    ).results.map((row) => row.country);

  it("the account's first country mails nothing; a second one mails the owner once, without a token", async () => {
    const user = await registerUser();
    await signInFrom(user, "DE");
    expect(await countryNotices(user.email)).toEqual([]);
    expect(await countriesOf(user.id)).toEqual(["DE"]);

    const token = await signInFrom(user, "FR");
    await signInFrom(user, "FR");
    await signInFrom(user, "DE");
    const notices = await countryNotices(user.email);
    expect(notices.map((mail) => mail.subject)).toEqual(["New sign-in from France (FR)"]);
    const text = notices[0]?.text ?? "";
    expect(text).toContain("198.51.100.90");
    expect(text).toContain("198.51.100.0/24 (AS64496 Example Transit)");
    expect(text).toContain("http://127.0.0.1:8787/console/sessions");
    expect(text).toMatch(/When: \d{4}-\d\d-\d\dT/);
    expect(text).not.toContain(token);
    expect(text).not.toMatch(/token|\?[a-z]+=/i);
    expect(await countriesOf(user.id)).toEqual(["DE", "FR"]);
  });

  it("a country last seen over 30 days ago is new again", async () => {
    const user = await registerUser();
    await signInFrom(user, "DE");
    await signInFrom(user, "FR");
    await env.DB.prepare("UPDATE sign_in_countries SET last_seen_at = ? WHERE user_id = ? AND country = 'FR'")
      .bind(Date.now() - 31 * DAY_MS, user.id)
      .run();
    await signInFrom(user, "FR");
    expect((await countryNotices(user.email)).map((mail) => mail.subject)).toEqual([
      "New sign-in from France (FR)",
      "New sign-in from France (FR)",
    ]);
  });

  it("two sign-ins from a new country at once mail once", async () => {
    const user = await registerUser();
    await signInFrom(user, "DE");
    await Promise.all([signInFrom(user, "JP"), signInFrom(user, "JP")]);
    expect(await countryNotices(user.email)).toHaveLength(1);
  });

  it("no country (local runs), nothing recorded and no mail", async () => {
    const user = await registerUser();
    await signInFrom(user);
    await signInFrom(user, "DE");
    await signInFrom(user);
    expect(await countriesOf(user.id)).toEqual(["DE"]);
    expect(await countryNotices(user.email)).toEqual([]);
  });
});

describe("mail delivery", () => {
  it("a mail API that is down does not fail the request: the mail is stored and queued with its text", async () => {
    const user = await registerUser();
    // Nothing listens on the discard port of the loopback address: the connection is refused.
    const failing = { MAIL_TRANSPORT: "http", MAIL_HTTP_URL: "https://127.0.0.1:9/emails", MAIL_HTTP_TOKEN: "re_test" };
    const quiet = vi.spyOn(console, "error").mockImplementation(() => {});
    try {
      const response = await fetchWithEnv(
        failing,
        new Request("https://edge.test/v1/auth/login", {
          method: "POST",
          headers: { "Content-Type": "application/json", "CF-Connecting-IP": randomIp() },
          body: JSON.stringify({ email: user.email, password: user.password }),
        }),
      );
      expect(response.status).toBe(200);
    } finally {
      quiet.mockRestore();
    }
    const row = await env.DB.prepare(
      "SELECT status, error, text FROM email_outbox WHERE to_address = ? AND subject LIKE 'New sign-in%'",
    )
      .bind(user.email)
      .first<{ status: string; error: string; text: string }>();
    // Stored and queued: the consumer's attempts (test/security/faults-mail.test.ts) deliver or fail it.
    expect(row).toMatchObject({ status: "stored", error: null });
    expect(row?.text).toContain("signed in to from an address");
  });

  it("logs a one-line notice with the subject in development, and never the body", async () => {
    const logged = vi.spyOn(console, "log");
    try {
      const user = await registerUser();
      await login(user.email, user.password, randomIp());
      await waitForMail(user.email, /new sign-in/i);
      const lines = logged.mock.calls.map((call) => call.join(" "));
      expect(lines).toContain('mail stored in the outbox: "New sign-in to your ImageBot account"');
      expect(lines.join("\n")).not.toContain(user.email);
    } finally {
      logged.mockRestore();
    }
  });
});
