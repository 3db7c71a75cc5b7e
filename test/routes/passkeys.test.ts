// Passkeys (issue 17, API.md "Passkeys"): real WebAuthn responses from a software authenticator,
// verified by the Worker with @simplewebauthn/server; every rule is tried as the attack it stops.
import { describe, expect, it } from "vitest";
import { networkGuardKey } from "../../src/domain/client-address";
import type { Bindings } from "../../src/env";
import { runRetention } from "../../src/jobs/retention";
import { api, env, expectProblem, randomIp, registerUser } from "../helpers/api";
import { injectClock, ManualClock } from "../helpers/clock";
import { COOKIE_NAME, OWN_ORIGIN, sessionCookieValue } from "../helpers/cookies";
import { asOperator } from "../helpers/operator";
import { waitForMail } from "../helpers/outbox";
import { SoftAuthenticator } from "../helpers/passkey-authenticator";
import {
  addPasskey,
  type PasskeyBody,
  registrationOptions,
  signInOptions,
  signInWithPasskey,
} from "../helpers/passkeys";
import { resign } from "../helpers/tokens";
import { userWithTwoFactor } from "../helpers/totp";

async function auditRows(userId: string, type: string) {
  const { results } = await env.DB.prepare("SELECT metadata FROM audit_log WHERE user_id = ? AND type = ?")
    .bind(userId, type)
    .all<{ metadata: string }>();
  return results.map((row) => JSON.parse(row.metadata) as Record<string, unknown>);
}

describe("adding a passkey", () => {
  it("with the password: the options ask for a discoverable, user-verified ES256 credential for the RP ID", async () => {
    const user = await registerUser();
    const options = (await registrationOptions(user)) as unknown as {
      rp: { id: string; name: string };
      authenticatorSelection: { residentKey: string; userVerification: string };
      attestation: string;
    };
    expect(options.rp).toEqual({ id: "localhost", name: "ImageBot" });
    expect(options.authenticatorSelection).toMatchObject({ residentKey: "required", userVerification: "required" });
    expect(options.attestation).toBe("none");
    const { passkey } = await addPasskey(user, new SoftAuthenticator(), "Work laptop");
    expect(passkey).toEqual({
      id: expect.stringMatching(/^pk_/),
      name: "Work laptop",
      createdAt: expect.any(String),
      lastUsedAt: null,
    });
    expect((await auditRows(user.id, "passkey.registered"))[0]).toMatchObject({ passkeyId: passkey.id });
    // A passkey added by someone holding a stolen session would otherwise go unseen: the owner is told.
    const mail = await waitForMail(user.email, /new way to sign in/i);
    expect(mail.text).toMatch(/^A passkey can now sign in/);
    expect(mail.text).not.toContain("Work laptop");
  });

  it("without the password, a session that signed in under 5 minutes ago may; an older one is refused", async () => {
    const user = await registerUser();
    await registrationOptions(user, {});
    const oldSession = await resign(user.token, { payload: { sessionCreatedAt: Date.now() - 6 * 60_000 } });
    const refused = await api("POST", "/v1/me/passkeys/registration-options", { token: oldSession, body: {} });
    await expectProblem(refused, 403, "forbidden");
    // The same old session with the password is fine.
    const withPassword = await api("POST", "/v1/me/passkeys/registration-options", {
      token: oldSession,
      body: { password: user.password },
    });
    expect(withPassword.status).toBe(200);
  });

  it("a wrong password is refused and counted as a failed login", async () => {
    const user = await registerUser();
    const ip = randomIp();
    const wrong = await api("POST", "/v1/me/passkeys/registration-options", {
      token: user.token,
      body: { password: "not the password" },
      ip,
    });
    await expectProblem(wrong, 401, "invalid_credentials");
    // The address is now backing off: even the right password waits.
    const next = await api("POST", "/v1/me/passkeys/registration-options", {
      token: user.token,
      body: { password: user.password },
      ip,
    });
    await expectProblem(next, 429, "too_many_attempts");
  });

  it("a registration answering another user's challenge, or a challenge used once already, is refused", async () => {
    const [alice, mallory] = [await registerUser(), await registerUser()];
    const aliceOptions = await registrationOptions(alice);
    const stolen = await api("POST", "/v1/me/passkeys", {
      token: mallory.token,
      body: { response: await new SoftAuthenticator().register(aliceOptions) },
    });
    await expectProblem(stolen, 400, "validation_failed");
    const options = await registrationOptions(mallory);
    const first = await api("POST", "/v1/me/passkeys", {
      token: mallory.token,
      body: { response: await new SoftAuthenticator().register(options) },
    });
    expect(first.status).toBe(201);
    const replay = await api("POST", "/v1/me/passkeys", {
      token: mallory.token,
      body: { response: await new SoftAuthenticator().register(options) },
    });
    await expectProblem(replay, 400, "validation_failed");
  });

  it("a credential made on another origin or for another RP ID is refused", async () => {
    const user = await registerUser();
    for (const authenticator of [
      new SoftAuthenticator({ origin: "https://imagebot.example.evil" }),
      new SoftAuthenticator({ rpId: "evil.example" }),
    ]) {
      const response = await api("POST", "/v1/me/passkeys", {
        token: user.token,
        body: { response: await authenticator.register(await registrationOptions(user)) },
      });
      await expectProblem(response, 400, "validation_failed");
    }
    const list = (await (await api("GET", "/v1/me/passkeys", { token: user.token })).json()) as { data: unknown[] };
    expect(list.data).toEqual([]);
  });

  it("the same authenticator cannot be registered twice, to anyone", async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const { authenticator } = await addPasskey(alice);
    const again = await api("POST", "/v1/me/passkeys", {
      token: bob.token,
      body: { response: await authenticator.register(await registrationOptions(bob)) },
    });
    await expectProblem(again, 409, "conflict");
  });
});

describe("signing in with a passkey", () => {
  it("bearer: a session token, listed as a passkey sign-in, and the passkey's lastUsedAt is set", async () => {
    const user = await registerUser();
    const { authenticator, passkey } = await addPasskey(user);
    const response = await signInWithPasskey(authenticator);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { token: string; tokenType: string; user: { id: string } };
    expect(body).toMatchObject({ tokenType: "Bearer", user: { id: user.id } });
    const sessions = (await (await api("GET", "/v1/sessions", { token: body.token })).json()) as {
      data: { current: boolean; signInMethod: string }[];
    };
    expect(sessions.data.find((session) => session.current)?.signInMethod).toBe("passkey");
    const list = (await (await api("GET", "/v1/me/passkeys", { token: body.token })).json()) as {
      data: PasskeyBody[];
    };
    expect(list.data).toEqual([{ ...passkey, lastUsedAt: expect.any(String) }]);
    expect((await auditRows(user.id, "auth.login")).at(-1)).toMatchObject({ passkeyId: passkey.id });
  });

  it("cookie: from the site's own page, the httpOnly cookie and a CSRF token; from a foreign page, refused", async () => {
    const user = await registerUser();
    const { authenticator } = await addPasskey(user);
    const response = await signInWithPasskey(authenticator, { session: "cookie", headers: { Origin: OWN_ORIGIN } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).not.toHaveProperty("token");
    expect(body.csrfToken).toEqual(expect.any(String));
    const setCookie = response.headers.get("Set-Cookie") ?? "";
    expect(setCookie).toContain(`${COOKIE_NAME}=`);
    expect(setCookie).toMatch(/HttpOnly/i);
    const me = await api("GET", "/v1/me", { headers: { Cookie: `${COOKIE_NAME}=${sessionCookieValue(setCookie)}` } });
    expect(me.status).toBe(200);
    const foreign = await signInWithPasskey(authenticator, {
      session: "cookie",
      headers: { Origin: "https://evil.example" },
    });
    await expectProblem(foreign, 403, "csrf_failed");
  });

  it("a user with 2FA on signs in with a passkey without being asked for a code", async () => {
    const { user } = await userWithTwoFactor();
    const password = await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } });
    expect(await password.json()).toMatchObject({ mfaRequired: true });
    const { authenticator } = await addPasskey(user);
    const response = await signInWithPasskey(authenticator);
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ token: expect.any(String), user: { id: user.id } });
  });

  it("a replayed challenge fails: the second use of one challenge id is refused, even with a fresh assertion", async () => {
    const user = await registerUser();
    const { authenticator } = await addPasskey(user);
    const { challengeId, options } = await signInOptions();
    const ip = randomIp();
    const first = await api("POST", "/v1/auth/passkey", {
      ip,
      body: { challengeId, response: await authenticator.assert(options) },
    });
    expect(first.status).toBe(200);
    const replay = await api("POST", "/v1/auth/passkey", {
      body: { challengeId, response: await authenticator.assert(options) },
    });
    await expectProblem(replay, 401, "invalid_credentials");
    expect((await auditRows(user.id, "auth.login_failed")).at(-1)).toMatchObject({ reason: "passkey_challenge" });
  });

  it("an expired challenge fails, and the retention run deletes expired challenges", async () => {
    const user = await registerUser();
    const { authenticator } = await addPasskey(user);
    const { challengeId, options } = await signInOptions();
    const stale = await signInOptions();
    await env.DB.prepare("UPDATE passkey_challenges SET expires_at = ? WHERE id IN (?, ?)")
      .bind(Date.now() - 1000, challengeId, stale.challengeId)
      .run();
    const response = await api("POST", "/v1/auth/passkey", {
      body: { challengeId, response: await authenticator.assert(options) },
    });
    await expectProblem(response, 401, "invalid_credentials");
    const report = await runRetention(env as unknown as Bindings, new Date());
    expect(report.passkeyChallenges).toBeGreaterThanOrEqual(1);
    const left = await env.DB.prepare("SELECT count(*) AS n FROM passkey_challenges WHERE id = ?")
      .bind(stale.challengeId)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
  });

  it("a removed passkey no longer signs in", async () => {
    const user = await registerUser();
    const { authenticator, passkey } = await addPasskey(user);
    expect((await api("DELETE", `/v1/me/passkeys/${passkey.id}`, { token: user.token })).status).toBe(204);
    expect((await auditRows(user.id, "passkey.removed"))[0]).toMatchObject({ passkeyId: passkey.id });
    await expectProblem(await signInWithPasskey(authenticator), 401, "invalid_credentials");
  });

  it("a signature counter that goes backwards (a cloned authenticator) is refused and audited", async () => {
    const user = await registerUser();
    const { authenticator, passkey } = await addPasskey(user);
    expect((await signInWithPasskey(authenticator)).status).toBe(200);
    expect((await signInWithPasskey(authenticator)).status).toBe(200);
    authenticator.counter = 0; // the clone signs with counter 1 again; the server has seen 2
    await expectProblem(await signInWithPasskey(authenticator), 401, "invalid_credentials");
    expect(await auditRows(user.id, "passkey.counter_regressed")).toEqual([
      { passkeyId: passkey.id, storedCounter: 2, presentedCounter: 1 },
    ]);
  });

  it("an assertion from another origin (a phishing page) or for another RP ID is refused", async () => {
    const user = await registerUser();
    const { authenticator } = await addPasskey(user);
    authenticator.origin = "https://imagebot-login.evil.example";
    await expectProblem(await signInWithPasskey(authenticator), 401, "invalid_credentials");
    authenticator.origin = "http://localhost:8787";
    authenticator.rpId = "evil.example";
    await expectProblem(await signInWithPasskey(authenticator), 401, "invalid_credentials");
  });

  it("an account the operator contained (forced password reset) cannot sign in with a passkey either", async () => {
    const user = await registerUser();
    const { authenticator } = await addPasskey(user);
    expect((await asOperator("POST", `/v1/admin/users/${user.id}/force-password-reset`)).status).toBe(204);
    await expectProblem(await signInWithPasskey(authenticator), 403, "password_reset_required");
  });

  it("an assertion without user verification is refused (a passkey stands in for two factors)", async () => {
    const user = await registerUser();
    const { authenticator } = await addPasskey(user);
    const { challengeId, options } = await signInOptions();
    const response = await api("POST", "/v1/auth/passkey", {
      body: { challengeId, response: await authenticator.assert(options, { userVerified: false }) },
    });
    await expectProblem(response, 401, "invalid_credentials");
  });

  it("an assertion signed by another key for a registered credential id is refused", async () => {
    const user = await registerUser();
    const { authenticator } = await addPasskey(user);
    const forger = new SoftAuthenticator();
    Object.defineProperty(forger, "credentialId", { value: authenticator.credentialId });
    forger.userHandle = authenticator.userHandle;
    await expectProblem(await signInWithPasskey(forger), 401, "invalid_credentials");
    expect((await auditRows(user.id, "auth.login_failed")).at(-1)).toMatchObject({ reason: "passkey_signature" });
  });

  it("failed assertions count against the IP like wrong passwords: the 6th attempt is refused, even a good one", async () => {
    const user = await registerUser();
    const { authenticator } = await addPasskey(user);
    const ip = randomIp();
    const clock = new ManualClock();
    for (const key of [ip, networkGuardKey(ip)])
      await injectClock(env.IP_GUARD.get(env.IP_GUARD.idFromName(key)), clock);
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 5; attempt++) {
      clock.advance(40_000); // past each backoff (2^5 s at most here), well inside the hour
      statuses.push((await signInWithPasskey(new SoftAuthenticator(), { ip })).status);
    }
    expect(statuses).toEqual(Array(5).fill(401));
    clock.advance(40_000);
    const sixth = await signInWithPasskey(authenticator, { ip });
    await expectProblem(sixth, 429, "too_many_attempts");
    expect(Number(sixth.headers.get("Retry-After"))).toBeGreaterThan(0);
    // Refused before anything was verified: the passkey's counter did not move.
    const row = await env.DB.prepare("SELECT counter FROM passkeys WHERE user_id = ?")
      .bind(user.id)
      .first<{ counter: number }>();
    expect(row?.counter).toBe(0);
  });
});

describe("managing passkeys", () => {
  it("rename and remove; another user's passkey id is 404 for both, and theirs is untouched", async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const { passkey } = await addPasskey(alice);
    const renamed = await api("PATCH", `/v1/me/passkeys/${passkey.id}`, {
      token: alice.token,
      body: { name: "Phone" },
    });
    expect(renamed.status).toBe(200);
    expect(await renamed.json()).toMatchObject({ id: passkey.id, name: "Phone" });
    expect((await auditRows(alice.id, "passkey.renamed"))[0]).toEqual({ passkeyId: passkey.id });

    await expectProblem(
      await api("PATCH", `/v1/me/passkeys/${passkey.id}`, { token: bob.token, body: { name: "Mine" } }),
      404,
      "not_found",
    );
    await expectProblem(await api("DELETE", `/v1/me/passkeys/${passkey.id}`, { token: bob.token }), 404, "not_found");
    const list = (await (await api("GET", "/v1/me/passkeys", { token: alice.token })).json()) as {
      data: PasskeyBody[];
    };
    expect(list.data.map((entry) => entry.name)).toEqual(["Phone"]);
  });

  it("the last way to sign in cannot be removed (an account without a password keeps its passkey)", async () => {
    // An account a sign-in provider created has no password (users.has_password = 0).
    const user = await registerUser();
    const { passkey } = await addPasskey(user);
    await env.DB.prepare("UPDATE users SET has_password = 0 WHERE id = ?").bind(user.id).run();
    await expectProblem(await api("DELETE", `/v1/me/passkeys/${passkey.id}`, { token: user.token }), 409, "conflict");
    await addPasskey(user, new SoftAuthenticator(), "Spare");
    expect((await api("DELETE", `/v1/me/passkeys/${passkey.id}`, { token: user.token })).status).toBe(204);
  });

  it("two removals racing for the last two ways to sign in: exactly one succeeds", async () => {
    const user = await registerUser();
    const first = await addPasskey(user);
    const second = await addPasskey(user, new SoftAuthenticator(), "Second");
    await env.DB.prepare("UPDATE users SET has_password = 0 WHERE id = ?").bind(user.id).run();
    const statuses = await Promise.all(
      [first, second].map(
        async ({ passkey }) => (await api("DELETE", `/v1/me/passkeys/${passkey.id}`, { token: user.token })).status,
      ),
    );
    expect(statuses.sort()).toEqual([204, 409]);
  });

  it("the export lists the passkeys (names and dates, never a key), and erasure removes them", async () => {
    const user = await registerUser();
    const { passkey } = await addPasskey(user);
    const exported = (await (await api("GET", "/v1/account/export", { token: user.token })).json()) as {
      passkeys: unknown[];
    };
    expect(exported.passkeys).toEqual([passkey]);
    await registrationOptions(user); // a pending challenge that must go with the account
    const erased = await api("DELETE", "/v1/account", { token: user.token, body: { password: user.password } });
    expect(erased.status).toBe(204);
    for (const table of ["passkeys", "passkey_challenges"]) {
      const row = await env.DB.prepare(`SELECT count(*) AS n FROM ${table} WHERE user_id = ?`)
        .bind(user.id)
        .first<{ n: number }>();
      expect(row?.n).toBe(0);
    }
  });
});
