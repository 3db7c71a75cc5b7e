// OWASP API10:2023 (unsafe consumption of APIs: the mail provider is a third party that can fail),
// API8:2023 (security misconfiguration: errors); ASVS 5.0 V16.5.2 (operate securely when an external
// resource fails), V16.5.1 (generic error body, no SQL), V16.2.5 (the failure is logged without
// the mail's body or link). A mail that cannot be delivered never fails the request that sent it:
// the request stores it and queues its id; the queue consumer retries it with growing delays, and
// the dead-letter queue's consumer marks it `failed` with the reason (never its text or link). A
// mail that cannot even be stored is logged, and the request still succeeds (see that describe).
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, env, expectProblem, randomIp, registerUser } from "../helpers/api";
import { fetchWithEnv } from "../helpers/custom-env";
import { failingWrites } from "../helpers/faults";
import { createTeam } from "../helpers/fixtures";
import {
  consumeMailMessage,
  MAIL_DEAD_LETTER_QUEUE,
  type OutboxRow,
  outboxRows,
  readOutbox,
  tokenFromMail,
  waitForMail,
} from "../helpers/outbox";

// Nothing listens on the discard port of the loopback address: the connection is refused.
const unreachableMailApi = {
  MAIL_TRANSPORT: "http",
  MAIL_HTTP_URL: "https://127.0.0.1:9/emails",
  MAIL_HTTP_TOKEN: "re_test_unreachable",
};

/** The Email Service binding, failing as it does when the service refuses or is down. */
const failingSendEmail = {
  MAIL_TRANSPORT: "send_email",
  SEND_EMAIL: {
    send: () => Promise.reject(new Error("injected fault: email service unavailable")),
  },
};

function send(overrides: Record<string, unknown>, method: string, path: string, body: unknown, token?: string) {
  const headers = new Headers({ "Content-Type": "application/json", "CF-Connecting-IP": randomIp() });
  if (token) headers.set("Authorization", `Bearer ${token}`);
  return fetchWithEnv(
    overrides,
    new Request(`https://edge.test${path}`, { method, headers, body: JSON.stringify(body) }),
  );
}

/**
 * Queued, and the consumer's first attempt fails: retried in 30 s, the row still `stored` with
 * the transport's error and its text (a later attempt delivers the real link). Returns the row.
 */
async function expectRetriedWithError(overrides: Record<string, unknown>, rows: OutboxRow[]) {
  expect(rows).toHaveLength(1);
  expect(rows[0]).toMatchObject({ status: "stored", sent_at: null, error: null });
  const mailId = rows[0]?.id ?? "";
  const result = await consumeMailMessage(overrides, mailId);
  expect(result.retryMessages).toHaveLength(1);
  expect(result.retryDelays).toEqual([30]);
  expect(result.explicitAcks).toEqual([]);
  const after = await env.DB.prepare("SELECT status, error, text, sent_at FROM email_outbox WHERE id = ?")
    .bind(mailId)
    .first<OutboxRow>();
  expect(after).toMatchObject({ status: "stored", sent_at: null, error: expect.stringMatching(/\S/) });
  expect(after?.text).toMatch(/\S/);
  return after as OutboxRow;
}

const loggedErrors = () => vi.spyOn(console, "error").mockImplementation(() => {});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a mail transport that fails", () => {
  it("forgot-password: the mail API is unreachable; 202 as usual, the reset mail is retried and its link works", async () => {
    const user = await registerUser();
    const errors = loggedErrors();
    const response = await send(unreachableMailApi, "POST", "/v1/auth/password/forgot", { email: user.email });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ status: "accepted", message: expect.any(String) });

    const rows = await outboxRows(user.email, "Reset your ImageBot password");
    await expectRetriedWithError(unreachableMailApi, rows);
    const logged = errors.mock.calls.map((call) => call.join(" ")).join("\n");
    expect(logged).toMatch(/^mail mail_[\w-]+ not delivered by http \(attempt 1\): \w+$/m);
    expect(logged).not.toContain("token=");

    // The queued mail is the real one: a retry would deliver a link that works.
    const mail = await waitForMail(user.email, /reset your/i);
    const reset = await api("POST", "/v1/auth/password/reset", {
      body: { token: tokenFromMail(mail), password: "a passphrase after the outage" },
    });
    expect(reset.status).toBe(204);
  });

  it("team invitation: the Email Service binding throws; 201 as usual, the mail is retried and its token works", async () => {
    const owner = await registerUser();
    const invitee = await registerUser();
    const team = await createTeam(owner.token);
    const errors = loggedErrors();
    const response = await send(
      failingSendEmail,
      "POST",
      `/v1/teams/${team.id}/invitations`,
      { email: invitee.email, role: "member" },
      owner.token,
    );
    expect(response.status).toBe(201);
    const rows = await outboxRows(invitee.email, "You are invited to an ImageBot team");
    const row = await expectRetriedWithError(failingSendEmail, rows);
    expect(errors.mock.calls.map((call) => call.join(" "))).toContainEqual(
      expect.stringMatching(/^mail mail_[\w-]+ not delivered by send_email \(attempt 1\): Error$/),
    );
    expect(row.error).toContain("email service unavailable");
    const mail = await waitForMail(invitee.email, /invited/i);
    const accepted = await api("POST", "/v1/invitations/accept", {
      token: invitee.token,
      body: { token: tokenFromMail(mail) },
    });
    expect(accepted.status).toBe(200);
  });

  it("lockout: the mail API is unreachable; the 10th failure answers 401 as usual, the lock holds, the notice is retried", async () => {
    const user = await registerUser();
    for (let attempt = 1; attempt < 10; attempt++) {
      const failed = await api("POST", "/v1/auth/login", {
        body: { email: user.email, password: `wrong ${attempt}` },
      });
      expect(failed.status).toBe(401);
    }
    loggedErrors();
    const tenth = await send(unreachableMailApi, "POST", "/v1/auth/login", { email: user.email, password: "wrong 10" });
    expect(tenth.status).toBe(401);
    await expectRetriedWithError(unreachableMailApi, await outboxRows(user.email, "Your ImageBot account was locked"));
    expect((await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } })).status).toBe(
      423,
    );
  });

  it("registration still succeeds: its verification mail waits in the outbox for a retry", async () => {
    const email = `no-mail.${crypto.randomUUID().slice(0, 8)}@example.com`;
    const response = await send(unreachableMailApi, "POST", "/v1/auth/register", {
      email,
      password: "a long enough passphrase",
    });
    expect(response.status).toBe(201);
    expect((await readOutbox(email)).map((mail) => mail.subject)).toEqual(["Verify your ImageBot email address"]);
  });
});

/**
 * When the outbox row itself cannot be written, the mail is lost, and the mailer logs that and
 * carries on. That is the right answer: the mail reports or completes a change that has already
 * been made (a sign-in, an invitation, a lock); failing the request would tell the client the
 * change did not happen when it did, and forgot-password must answer the same whatever happens
 * (it would otherwise reveal which emails have accounts). The log line names the failure, never
 * the SQL or the mail's body.
 */
describe("an outbox that cannot be written", () => {
  it("a sign-in still succeeds (200, a session), the notice is logged as not stored, and no SQL leaks", async () => {
    const user = await registerUser();
    const fault = await failingWrites("email_outbox", "INSERT");
    const errors = loggedErrors();
    try {
      const response = await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } });
      expect(response.status).toBe(200);
      expect(await response.text()).not.toMatch(/injected|SQL|email_outbox|INSERT/i);
    } finally {
      await fault.drop();
    }
    const logged = errors.mock.calls.map((call) => call.join(" "));
    expect(logged).toContain("mail not stored: Error");
    expect(logged.join("\n")).not.toMatch(/injected fault|email_outbox|INSERT|signed in/i);
    expect((await readOutbox(user.email)).filter((mail) => /sign-in/i.test(mail.subject))).toEqual([]);
  });

  it("an invitation is still created (201); the lost mail is logged, and inviting again once the outbox works mails the link", async () => {
    const owner = await registerUser();
    const invitee = await registerUser();
    const team = await createTeam(owner.token);
    const fault = await failingWrites("email_outbox", "INSERT");
    const errors = loggedErrors();
    try {
      const response = await api("POST", `/v1/teams/${team.id}/invitations`, {
        token: owner.token,
        body: { email: invitee.email, role: "viewer" },
      });
      expect(response.status).toBe(201);
      expect(await response.text()).not.toMatch(/injected|SQL|email_outbox/i);
    } finally {
      await fault.drop();
    }
    expect(errors.mock.calls.map((call) => call.join(" "))).toContain("mail not stored: Error");
    expect((await readOutbox(invitee.email)).filter((mail) => /invited/i.test(mail.subject))).toEqual([]);

    const again = await api("POST", `/v1/teams/${team.id}/invitations`, {
      token: owner.token,
      body: { email: invitee.email, role: "viewer" },
    });
    expect(again.status).toBe(201);
    const [mail] = await readOutbox(invitee.email);
    expect(mail?.subject).toBe("You are invited to an ImageBot team");
  });

  it("forgot-password answers 202 with the same body, the failure is logged, and the link mailed before still works", async () => {
    const user = await registerUser();
    await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } });
    const earlierLink = tokenFromMail(await waitForMail(user.email, /reset your/i));
    const fault = await failingWrites("email_outbox", "INSERT");
    const errors = loggedErrors();
    let body: unknown;
    try {
      const response = await send({}, "POST", "/v1/auth/password/forgot", { email: user.email });
      expect(response.status).toBe(202);
      body = await response.json();
    } finally {
      await fault.drop();
    }
    const unknown = await api("POST", "/v1/auth/password/forgot", { body: { email: "nobody@example.com" } });
    expect(body).toEqual(await unknown.json());
    expect(errors.mock.calls.map((call) => call.join(" "))).toContain("mail not stored: Error");
    expect((await readOutbox(user.email)).filter((mail) => /reset your/i.test(mail.subject))).toHaveLength(1);
    // The new link never reached the user, so the one they already have was not voided.
    const reset = { token: earlierLink, password: "a passphrase after the outage 4" };
    expect((await api("POST", "/v1/auth/password/reset", { body: reset })).status).toBe(204);
  });
});

describe("a re-issued reset link", () => {
  /** The Email Service binding, accepting every mail. */
  const acceptingSendEmail = { MAIL_TRANSPORT: "send_email", SEND_EMAIL: { send: () => Promise.resolve() } };
  const resetMailRows = (to: string) => outboxRows(to, "Reset your ImageBot password");

  it("voids the older links only once the transport took the newer mail, and erases their text then", async () => {
    const user = await registerUser();
    const quiet = loggedErrors();
    expect((await send(failingSendEmail, "POST", "/v1/auth/password/forgot", { email: user.email })).status).toBe(202);
    const undelivered = tokenFromMail(await waitForMail(user.email, /reset your/i));
    expect((await send(failingSendEmail, "POST", "/v1/auth/password/forgot", { email: user.email })).status).toBe(202);
    for (const row of await resetMailRows(user.email)) {
      expect((await consumeMailMessage(failingSendEmail, row.id)).retryMessages).toHaveLength(1);
    }
    quiet.mockRestore();
    // Neither mail left us, so neither voided anything.
    expect((await resetMailRows(user.email)).map((row) => row.status)).toEqual(["stored", "stored"]);

    expect((await send(acceptingSendEmail, "POST", "/v1/auth/password/forgot", { email: user.email })).status).toBe(
      202,
    );
    const newest = (await resetMailRows(user.email))[2];
    // Stored with its follow-up; nothing voided before the transport takes it.
    expect(newest).toMatchObject({ status: "stored", follow_up: expect.stringContaining("void_older_reset_links") });
    expect((await resetMailRows(user.email)).filter((row) => row.text === null)).toEqual([]);
    const delivered = await consumeMailMessage(acceptingSendEmail, newest?.id ?? "");
    expect(delivered.explicitAcks).toHaveLength(1);

    const rows = await resetMailRows(user.email);
    // The older mails keep their own follow-up: delivered later, their text gone, they end `failed`.
    expect(rows.map((row) => [row.status, row.text])).toEqual([
      ["stored", null],
      ["stored", null],
      ["sent", null],
    ]);
    expect(rows[2]?.follow_up).toBeNull();
    await expectProblem(
      await api("POST", "/v1/auth/password/reset", {
        body: { token: undelivered, password: "a passphrase, too late" },
      }),
      400,
      "invalid_token",
    );
  });

  it("keeps the older link working while the newer mail cannot be delivered", async () => {
    const user = await registerUser();
    await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } });
    const held = tokenFromMail(await waitForMail(user.email, /reset your/i));
    const quiet = loggedErrors();
    expect((await send(failingSendEmail, "POST", "/v1/auth/password/forgot", { email: user.email })).status).toBe(202);
    const [, newer] = await resetMailRows(user.email);
    expect((await consumeMailMessage(failingSendEmail, newer?.id ?? "")).retryMessages).toHaveLength(1);
    expect(
      (await consumeMailMessage(failingSendEmail, newer?.id ?? "", { queue: MAIL_DEAD_LETTER_QUEUE })).explicitAcks,
    ).toHaveLength(1);
    quiet.mockRestore();
    expect((await resetMailRows(user.email)).map((row) => row.status)).toEqual(["stored", "failed"]);
    expect(
      (await api("POST", "/v1/auth/password/reset", { body: { token: held, password: "still my link 5" } })).status,
    ).toBe(204);
  });
});

describe("the mail queue", () => {
  /** An HTTP mail API standing in for Resend (`MAIL_TRANSPORT=http`), answering from `answers` in turn. */
  const mailApi = {
    MAIL_TRANSPORT: "http",
    MAIL_HTTP_URL: "https://mail.example/emails",
    MAIL_HTTP_TOKEN: "re_test_ok",
  };
  function standInMailApi(...statuses: number[]) {
    const received: { authorization: string | null; body: { to: string[]; subject: string; text: string } }[] = [];
    const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (request.url !== mailApi.MAIL_HTTP_URL) throw new Error(`unexpected fetch of ${request.url}`);
      const status = statuses.length > 1 ? (statuses.shift() as number) : (statuses[0] ?? 200);
      if (status === 200)
        received.push({ authorization: request.headers.get("Authorization"), body: await request.json() });
      return new Response(status === 200 ? '{"id":"re_1"}' : "{}", { status });
    });
    return { spy, received };
  }

  async function forgot(overrides: Record<string, unknown>) {
    const user = await registerUser();
    expect((await send(overrides, "POST", "/v1/auth/password/forgot", { email: user.email })).status).toBe(202);
    const [row] = await outboxRows(user.email, "Reset your ImageBot password");
    return { user, mailId: row?.id ?? "" };
  }

  it("the request only stores the mail and queues its id; the consumer delivers it, once, and erases its text", async () => {
    const { spy, received } = standInMailApi(200);
    const { user, mailId } = await forgot(mailApi);
    expect(spy).not.toHaveBeenCalled();
    const link = tokenFromMail(await waitForMail(user.email, /reset your/i));

    const result = await consumeMailMessage(mailApi, mailId);
    expect(result.explicitAcks).toEqual([expect.any(String)]);
    expect(received).toEqual([
      {
        authorization: "Bearer re_test_ok",
        body: expect.objectContaining({ to: [user.email], subject: "Reset your ImageBot password" }),
      },
    ]);
    expect(received[0]?.body.text).toContain(link);
    const [row] = await outboxRows(user.email, "Reset your ImageBot password");
    expect(row).toMatchObject({ status: "sent", text: null, error: null, sent_at: expect.any(Number) });

    // Queues deliver at least once: the same message again sends nothing.
    const again = await consumeMailMessage(mailApi, mailId, { attempts: 2 });
    expect(again.explicitAcks).toHaveLength(1);
    expect(spy).toHaveBeenCalledTimes(1);
  });

  it("a mail API that fails twice, then accepts: retried after 30 s and 60 s, delivered once", async () => {
    const quiet = loggedErrors();
    const { spy, received } = standInMailApi(503, 503, 200);
    const { user, mailId } = await forgot(mailApi);
    const first = await consumeMailMessage(mailApi, mailId, { attempts: 1 });
    const second = await consumeMailMessage(mailApi, mailId, { attempts: 2 });
    expect([first.retryMessages.length, second.retryMessages.length]).toEqual([1, 1]);
    expect([...first.retryDelays, ...second.retryDelays]).toEqual([30, 60]);
    expect((await outboxRows(user.email, "Reset your ImageBot password"))[0]).toMatchObject({
      status: "stored",
      error: "Error: mail API answered 503",
    });
    const third = await consumeMailMessage(mailApi, mailId, { attempts: 3 });
    expect(third.explicitAcks).toHaveLength(1);
    expect(spy).toHaveBeenCalledTimes(3);
    expect(received).toHaveLength(1);
    expect((await outboxRows(user.email, "Reset your ImageBot password"))[0]).toMatchObject({
      status: "sent",
      text: null,
      error: null,
    });
    quiet.mockRestore();
  });

  it("a transport that always fails: growing delays, then the dead-letter queue marks it failed with the reason, never the link", async () => {
    // A provider whose error quotes the mail it refused: the reason kept must not.
    const quotingFailure = {
      MAIL_TRANSPORT: "send_email",
      SEND_EMAIL: { send: (mail: { text: string }) => Promise.reject(new Error(`refused: ${mail.text}`)) },
    };
    const errors = loggedErrors();
    const { user, mailId } = await forgot(quotingFailure);
    const link = tokenFromMail(await waitForMail(user.email, /reset your/i));
    const delays: number[] = [];
    for (let attempts = 1; attempts <= 7; attempts++) {
      const result = await consumeMailMessage(quotingFailure, mailId, { attempts });
      expect(result.retryMessages).toHaveLength(1);
      delays.push(...result.retryDelays.map((delay: number | undefined) => delay ?? 0));
    }
    expect(delays).toEqual([30, 60, 120, 240, 480, 900, 900]);
    // wrangler.toml's max_retries moves it to the dead-letter queue, whose consumer gives up.
    const dead = await consumeMailMessage({}, mailId, { queue: MAIL_DEAD_LETTER_QUEUE });
    expect(dead.explicitAcks).toHaveLength(1);
    const [row] = await outboxRows(user.email, "Reset your ImageBot password");
    expect(row).toMatchObject({ status: "failed", sent_at: null, error: expect.stringMatching(/^Error: refused: /) });
    expect(row?.error).not.toContain(link);
    expect(row?.error).not.toMatch(/token=(?!\[redacted\])|reset-password\?/);
    const logged = errors.mock.calls.map((call) => call.join(" ")).join("\n");
    expect(logged).toContain(`mail ${mailId} failed: no attempt delivered it`);
    expect(logged).not.toContain(link);
    // A message delivered once more after that sends nothing.
    expect((await consumeMailMessage(quotingFailure, mailId)).explicitAcks).toHaveLength(1);
  });
});
