// Issue 14, finding 1 ("pre-account hijack") and API.md "Email ownership": no account may act for
// an address it has not proved. Sign-up mails a verification link; keys, rolls and invitations
// wait for it (403 email_unverified); an email change applies only when the new mailbox confirms
// it; a password reset proves the mailbox and takes the account over for good.
import { describe, expect, it } from "vitest";
import {
  api,
  env,
  expectProblem,
  linkTokenMailedTo,
  login,
  type RegisteredUser,
  registerUser,
  uniqueEmail,
  verifyEmailByLink,
} from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { createImage, createTeam } from "../helpers/fixtures";
import { readOutbox, tokenFromMail, waitForMail } from "../helpers/outbox";

const VERIFY = /verify your/i;
const CONFIRM_CHANGE = /confirm your new/i;

const verify = (token: string) => api("POST", "/v1/auth/email/verify", { body: { token } });
const resend = (user: RegisteredUser) => api("POST", "/v1/auth/email/verify/resend", { token: user.token });
const me = async (token: string) =>
  (await (await api("GET", "/v1/me", { token })).json()) as {
    email: string;
    emailVerified: boolean;
    pendingEmail: string | null;
  };
const askEmailChange = (user: RegisteredUser, email: string) =>
  api("PATCH", "/v1/me", { token: user.token, body: { email, currentPassword: user.password } });
const invite = (owner: RegisteredUser, teamId: string, email: string) =>
  api("POST", `/v1/teams/${teamId}/invitations`, { token: owner.token, body: { email, role: "member" } });

async function resetPasswordThroughMailbox(email: string, password: string) {
  expect((await api("POST", "/v1/auth/password/forgot", { body: { email } })).status).toBe(202);
  const token = tokenFromMail(await waitForMail(email, /reset your/i));
  expect((await api("POST", "/v1/auth/password/reset", { body: { token, password } })).status).toBe(204);
}

describe("pre-account hijack (finding 1)", () => {
  it("an attacker who registered the victim's address gets no key, and the victim's reset takes the account over for good", async () => {
    const victimEmail = uniqueEmail("victim");
    const attacker = await registerUser({ email: victimEmail, verified: false });
    expect(await me(attacker.token)).toMatchObject({ email: victimEmail, emailVerified: false });

    // What the attack needs is refused while the address is unproved.
    const key = await api("POST", "/v1/api-keys", {
      token: attacker.token,
      body: { name: "backdoor", scopes: ["read", "generate", "manage"] },
    });
    await expectProblem(key, 403, "email_unverified");
    const { id: attackerTeam } = await createTeam(attacker.token, "Lure");
    await expectProblem(await invite(attacker, attackerTeam, uniqueEmail()), 403, "email_unverified");
    // An escape hatch: move the account to an address the attacker controls, later.
    const escapeAddress = uniqueEmail("attacker");
    expect((await askEmailChange(attacker, escapeAddress)).status).toBe(200);
    const escapeToken = await linkTokenMailedTo(escapeAddress, CONFIRM_CHANGE);

    // The victim is invited to a team, finds the address taken, and resets the password.
    const owner = await registerUser();
    const { id: teamId } = await createTeam(owner.token, "Corp");
    expect((await invite(owner, teamId, victimEmail)).status).toBe(201);
    const taken = await api("POST", "/v1/auth/register", {
      body: { email: victimEmail, password: "victim passphrase" },
    });
    await expectProblem(taken, 409, "email_taken");
    await resetPasswordThroughMailbox(victimEmail, "the victim's own passphrase");

    const victimToken = await login(victimEmail, "the victim's own passphrase");
    expect(await me(victimToken)).toMatchObject({ email: victimEmail, emailVerified: true, pendingEmail: null });
    // The attacker's session died, and the escape link died with the pending change.
    await expectProblem(await api("GET", "/v1/me", { token: attacker.token }), 401, "unauthorized");
    await expectProblem(await verify(escapeToken), 400, "invalid_token");
    expect(await me(victimToken)).toMatchObject({ email: victimEmail });

    // The victim, and only the victim, now acts for the address.
    const victim = { ...attacker, token: victimToken, password: "the victim's own passphrase" };
    expect((await createKey(victim.token)).key).toMatch(/^imgbot_live_/);
    const invitation = tokenFromMail(await waitForMail(victimEmail, /invited/i));
    expect(
      (await api("POST", "/v1/invitations/accept", { token: victimToken, body: { token: invitation } })).status,
    ).toBe(200);
  });

  it("an account that changes its email to someone else's address never gets it without that mailbox's link", async () => {
    const attacker = await registerUser();
    const victimEmail = uniqueEmail("victim");
    const response = await askEmailChange(attacker, victimEmail);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ email: attacker.email, pendingEmail: victimEmail });

    // Nothing moved: the attacker's account keeps its own address; the victim's address is free.
    await expectProblem(
      await api("POST", "/v1/auth/login", { body: { email: victimEmail, password: attacker.password } }),
      401,
      "invalid_credentials",
    );
    const owner = await registerUser();
    const { id: teamId } = await createTeam(owner.token);
    expect((await invite(owner, teamId, victimEmail)).status).toBe(201);
    const invitation = tokenFromMail(await waitForMail(victimEmail, /invited/i));
    await expectProblem(
      await api("POST", "/v1/invitations/accept", { token: attacker.token, body: { token: invitation } }),
      400,
      "invalid_token",
    );
    // The confirmation went to the victim's mailbox only; the attacker's own address got a notice.
    expect((await readOutbox(attacker.email)).some((mail) => /about to change/i.test(mail.subject))).toBe(true);
    expect((await readOutbox(attacker.email)).some((mail) => CONFIRM_CHANGE.test(mail.subject))).toBe(false);
    const victim = await registerUser({ email: victimEmail });
    expect(await me(victim.token)).toMatchObject({ email: victimEmail, emailVerified: true });
  });
});

describe("POST /v1/auth/email/verify", () => {
  it("verifies the address with the link mailed at sign-up, once", async () => {
    const user = await registerUser({ verified: false });
    const token = await linkTokenMailedTo(user.email, VERIFY);
    expect((await verify(token)).status).toBe(204);
    expect(await me(user.token)).toMatchObject({ emailVerified: true });
    await expectProblem(await verify(token), 400, "invalid_token");
  });

  it("refuses an expired link and changes nothing", async () => {
    const user = await registerUser({ verified: false });
    const token = await linkTokenMailedTo(user.email, VERIFY);
    await env.DB.prepare("UPDATE email_verification_tokens SET expires_at = ? WHERE user_id = ?")
      .bind(Date.now() - 1000, user.id)
      .run();
    await expectProblem(await verify(token), 400, "invalid_token");
    expect(await me(user.token)).toMatchObject({ emailVerified: false });
  });

  it("stores the link only as a hash", async () => {
    const user = await registerUser({ verified: false });
    const token = await linkTokenMailedTo(user.email, VERIFY);
    const stored = await env.DB.prepare("SELECT token_hash FROM email_verification_tokens WHERE user_id = ?")
      .bind(user.id)
      .all<{ token_hash: string }>();
    expect(stored.results).toHaveLength(1);
    expect(stored.results[0]?.token_hash).not.toContain(token);
  });

  it.each([
    ["an unknown token", "x".repeat(43)],
    ["SQL", "' OR '1'='1"],
    ["SQL that drops a table", "x'); DROP TABLE users; --"],
    ["markup", "<script>alert(1)</script>"],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the payload is this literal text
    ["a template", "${7*7}{{7*7}}"],
    ["a NUL byte", "abc\u0000def"],
  ])("answers 400 invalid_token for %s, never 500", async (_name, token) => {
    await expectProblem(await verify(token), 400, "invalid_token");
  });

  it.each([
    ["an empty token", { token: "" }],
    ["an oversized token", { token: "a".repeat(201) }],
    ["a number", { token: 42 }],
    ["an object", { token: { $ne: null } }],
    ["an extra field", { token: "abc", userId: "usr_x" }],
  ])("answers 400 validation_failed for %s", async (_name, body) => {
    await expectProblem(await api("POST", "/v1/auth/email/verify", { body }), 400, "validation_failed");
  });

  it("shows the link in /dev/outbox ending in ?token=<token>", async () => {
    const user = await registerUser({ verified: false });
    const mail = await waitForMail(user.email, VERIFY);
    expect(mail.text).toMatch(/^https?:\/\/\S+\/console\/verify-email\?token=[A-Za-z0-9_-]{40,}$/m);
  });
});

describe("POST /v1/auth/email/verify/resend", () => {
  it("mails a new link that replaces the older one", async () => {
    const user = await registerUser({ verified: false });
    const first = await linkTokenMailedTo(user.email, VERIFY);
    expect((await resend(user)).status).toBe(202);
    const second = await linkTokenMailedTo(user.email, VERIFY);
    expect(second).not.toBe(first);
    await expectProblem(await verify(first), 400, "invalid_token");
    expect((await verify(second)).status).toBe(204);
  });

  it("allows 3 verification mails per address in an hour: the 4th answers 429 with Retry-After", async () => {
    const user = await registerUser({ verified: false });
    expect((await resend(user)).status).toBe(202);
    expect((await resend(user)).status).toBe(202);
    const refused = await resend(user);
    await expectProblem(refused, 429, "rate_limited");
    const retryAfter = Number(refused.headers.get("Retry-After"));
    expect(retryAfter).toBeGreaterThan(3500);
    expect(retryAfter).toBeLessThanOrEqual(3600);
    expect((await readOutbox(user.email)).filter((mail) => VERIFY.test(mail.subject))).toHaveLength(3);
  });

  it("sends nothing for a verified address", async () => {
    const user = await registerUser();
    const before = (await readOutbox(user.email)).length;
    expect((await resend(user)).status).toBe(202);
    expect(await readOutbox(user.email)).toHaveLength(before);
  });
});

describe("PATCH /v1/me email change", () => {
  it("applies only when the new address confirms it; the old address is told", async () => {
    const user = await registerUser();
    const newEmail = uniqueEmail("new");
    const response = await askEmailChange(user, newEmail);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ email: user.email, emailVerified: true, pendingEmail: newEmail });
    expect(await me(user.token)).toMatchObject({ email: user.email, pendingEmail: newEmail });
    const notice = await waitForMail(user.email, /about to change/i);
    expect(notice.text).toContain(newEmail);
    expect(notice.text).not.toMatch(/\?token=/);

    expect((await verify(await linkTokenMailedTo(newEmail, CONFIRM_CHANGE))).status).toBe(204);
    expect(await me(user.token)).toMatchObject({ email: newEmail, emailVerified: true, pendingEmail: null });
    expect(await login(newEmail, user.password)).toEqual(expect.any(String));
  });

  it("a newer change voids the older link", async () => {
    const user = await registerUser();
    const first = uniqueEmail("first");
    const second = uniqueEmail("second");
    expect((await askEmailChange(user, first)).status).toBe(200);
    const firstToken = await linkTokenMailedTo(first, CONFIRM_CHANGE);
    expect((await askEmailChange(user, second)).status).toBe(200);
    await expectProblem(await verify(firstToken), 400, "invalid_token");
    expect((await verify(await linkTokenMailedTo(second, CONFIRM_CHANGE))).status).toBe(204);
    expect(await me(user.token)).toMatchObject({ email: second, pendingEmail: null });
  });

  it("answers 409 email_taken when another account took the address meanwhile, and changes nothing", async () => {
    const user = await registerUser();
    const wanted = uniqueEmail("wanted");
    expect((await askEmailChange(user, wanted)).status).toBe(200);
    const token = await linkTokenMailedTo(wanted, CONFIRM_CHANGE);
    await registerUser({ email: wanted, verified: false });
    await expectProblem(await verify(token), 409, "email_taken");
    expect(await me(user.token)).toMatchObject({ email: user.email, emailVerified: true, pendingEmail: wanted });
  });

  it("reset links still out for the old address die when the change applies", async () => {
    const user = await registerUser();
    expect((await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } })).status).toBe(202);
    const resetToken = tokenFromMail(await waitForMail(user.email, /reset your/i));
    const newEmail = uniqueEmail("moved");
    expect((await askEmailChange(user, newEmail)).status).toBe(200);
    expect((await verify(await linkTokenMailedTo(newEmail, CONFIRM_CHANGE))).status).toBe(204);
    const reset = await api("POST", "/v1/auth/password/reset", {
      body: { token: resetToken, password: "the old mailbox's passphrase" },
    });
    await expectProblem(reset, 400, "invalid_token");
  });
});

describe("until the email is verified", () => {
  it("creating a key, rolling one, inviting and accepting answer 403 email_unverified; the rest works", async () => {
    const user = await registerUser({ verified: false });
    await expectProblem(
      await api("POST", "/v1/api-keys", { token: user.token, body: { name: "k", scopes: ["read"] } }),
      403,
      "email_unverified",
    );
    const { id: teamId } = await createTeam(user.token);
    await expectProblem(await invite(user, teamId, uniqueEmail()), 403, "email_unverified");
    expect((await createImage(user.token)).id).toMatch(/^img_/);

    const owner = await registerUser();
    const { id: ownerTeam } = await createTeam(owner.token);
    expect((await invite(owner, ownerTeam, user.email)).status).toBe(201);
    const invitation = tokenFromMail(await waitForMail(user.email, /invited/i));
    const accept = () => api("POST", "/v1/invitations/accept", { token: user.token, body: { token: invitation } });
    await expectProblem(await accept(), 403, "email_unverified");
    await verifyEmailByLink(user.email);
    expect((await accept()).status).toBe(200);
  });

  it("a key of an account that is not verified (a row from before verification existed) cannot be rolled", async () => {
    const user = await registerUser();
    const key = await createKey(user.token);
    await env.DB.prepare("UPDATE users SET email_verified = 0 WHERE id = ?").bind(user.id).run();
    const roll = await api("POST", `/v1/api-keys/${key.id}/roll`, { token: user.token, body: {} });
    await expectProblem(roll, 403, "email_unverified");
  });
});

describe("owner notices", () => {
  it("mails the owner on every key creation and roll, with name, scopes and client IP", async () => {
    const user = await registerUser();
    const created = await api("POST", "/v1/api-keys", {
      token: user.token,
      ip: "203.0.113.41",
      body: { name: "deploy-bot", scopes: ["read", "generate"] },
    });
    expect(created.status).toBe(201);
    const { id, key } = (await created.json()) as { id: string; key: string };
    const notices = () =>
      readOutbox(user.email).then((mails) => mails.filter((mail) => /new API key/i.test(mail.subject)));
    const [notice] = await notices();
    expect(notice?.text).toContain("deploy-bot");
    expect(notice?.text).toContain("read, generate");
    expect(notice?.text).toContain("203.0.113.41");
    expect(notice?.text).not.toContain(key);

    expect((await api("POST", `/v1/api-keys/${id}/roll`, { token: user.token, body: {} })).status).toBe(201);
    expect(await notices()).toHaveLength(2);
  });

  it("a reset verifies the email and its notice lists the keys still alive, never a key itself", async () => {
    const user = await registerUser();
    const key = await createKey(user.token, { name: "nightly-export" });
    await env.DB.prepare("UPDATE users SET email_verified = 0 WHERE id = ?").bind(user.id).run();
    await resetPasswordThroughMailbox(user.email, "a passphrase after the reset");
    const notice = await waitForMail(user.email, /was reset/i);
    expect(notice.text).toContain("nightly-export");
    expect(notice.text).toContain(`${key.prefix}…${key.lastFour}`);
    expect(notice.text).not.toContain(key.key);
    const token = await login(user.email, "a passphrase after the reset");
    expect(await me(token)).toMatchObject({ emailVerified: true });
  });
});

describe("existing accounts", () => {
  it("a row written without the new columns reads as unverified with no pending change", async () => {
    const id = `usr_legacy${crypto.randomUUID().slice(0, 8)}`;
    await env.DB.prepare(
      "INSERT INTO users (id, email, name, password_hash, plan, created_at, updated_at) VALUES (?, ?, NULL, 'x', 'standard', ?, ?)",
    )
      .bind(id, uniqueEmail("legacy"), Date.now(), Date.now())
      .run();
    const row = await env.DB.prepare("SELECT email_verified, pending_email FROM users WHERE id = ?")
      .bind(id)
      .first<{ email_verified: number; pending_email: string | null }>();
    expect(row).toEqual({ email_verified: 0, pending_email: null });
  });
});
