import { describe, expect, it } from "vitest";
import { exportedTables, tablesWithoutUserData } from "../../src/routes/account/export-account";
import { api, env, expectProblem, login, randomIp, registerUser, uniqueEmail } from "../helpers/api";
import { createKey } from "../helpers/api-keys";
import { createCollection, createImage, createTeam } from "../helpers/fixtures";
import { addMember } from "../helpers/teams";

/** Every application table of the database (not D1's or the migrations' own). */
async function applicationTables(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name <> 'd1_migrations'",
  ).all<{ name: string }>();
  return results.map((row) => row.name).sort();
}

/** A user with something in every table that can hold their data. */
async function busyUser() {
  const user = await registerUser({ name: "Busy" });
  const ip = randomIp();
  await login(user.email, user.password, ip);
  const key = await createKey(user.token);
  const image = await createImage(user.token, { prompt: "export me" });
  const collection = await createCollection(user.token, { name: "Mine" });
  await api("PUT", `/v1/collections/${collection.id}/images/${image.id}`, { token: user.token });
  await api("POST", `/v1/images/${image.id}/comments`, { token: user.token, body: { body: "my comment" } });
  await api("POST", "/v1/auth/password/forgot", { body: { email: user.email } });
  return { user, key, image, collection, ip };
}

describe("GET /v1/account/export", () => {
  it("covers every table that can hold user data (a new table must be exported or declared)", async () => {
    const declared = [...Object.keys(exportedTables), ...tablesWithoutUserData].sort();
    expect(await applicationTables()).toEqual(declared);
  });

  it("returns everything held about the caller as one attachment, without hashes, and is audited", async () => {
    const { user, key, image, collection } = await busyUser();
    const response = await api("GET", "/v1/account/export", { token: user.token });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Disposition")).toMatch(/^attachment; filename="imagebot-export-usr_/);
    const text = await response.text();
    const exported = JSON.parse(text);
    for (const section of new Set(Object.values(exportedTables).map((path) => path.split(/[[.]/)[0] as string))) {
      expect(exported).toHaveProperty(section);
    }
    expect(exported.user).toMatchObject({ id: user.id, email: user.email, name: "Busy" });
    expect(exported.sessions.length).toBeGreaterThanOrEqual(2);
    expect(exported.apiKeys.map((entry: { id: string }) => entry.id)).toEqual([key.id]);
    expect(exported.images[0]).toMatchObject({ id: image.id, contentUrl: `/v1/images/${image.id}/content` });
    expect(exported.collections[0]).toMatchObject({ id: collection.id, imageIds: [image.id] });
    expect(exported.comments[0]).toMatchObject({ body: "my comment" });
    expect(exported.auditEvents.length).toBeGreaterThan(3);

    const { results } = await env.DB.prepare("SELECT password_hash FROM users WHERE id = ?")
      .bind(user.id)
      .all<{ password_hash: string }>();
    expect(text).not.toContain(results[0]?.password_hash as string);
    expect(text).not.toContain(key.key);
    expect(text).not.toMatch(/key_hash|token_hash|password_hash|\?token=/);
    const audit = await env.DB.prepare(
      "SELECT 1 AS found FROM audit_log WHERE user_id = ? AND type = 'account.exported'",
    )
      .bind(user.id)
      .first();
    expect(audit).not.toBeNull();
  });

  it("holds every row of an account larger than one page (1,200 audit rows, many at one instant) and is valid JSON", async () => {
    const { user, image, collection } = await busyUser();
    // Rows inserted directly, 600 of them sharing one timestamp: the cursor must not skip or repeat ties.
    const inserted = Array.from({ length: 1_200 }, (_, index) => `aud_bulk_${String(index).padStart(5, "0")}`);
    const insert = env.DB.prepare(
      "INSERT INTO audit_log (id, type, user_id, ip, request_id, metadata, created_at) VALUES (?, 'auth.login', ?, NULL, NULL, '{}', ?)",
    );
    const at = Date.now() - 60_000;
    for (let start = 0; start < inserted.length; start += 100) {
      await env.DB.batch(
        inserted
          .slice(start, start + 100)
          .map((id, index) => insert.bind(id, user.id, start + index < 600 ? at : at + start + index)),
      );
    }
    const response = await api("GET", "/v1/account/export", { token: user.token });
    expect(response.status).toBe(200);
    expect(response.headers.get("Content-Disposition")).toMatch(/^attachment; filename="imagebot-export-usr_/);
    const exported = JSON.parse(await response.text());
    const ids: string[] = exported.auditEvents.map((event: { id: string }) => event.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.startsWith("aud_bulk_")).sort()).toEqual(inserted);
    const { results } = await env.DB.prepare("SELECT count(*) AS rows FROM audit_log WHERE user_id = ?")
      .bind(user.id)
      .all<{ rows: number }>();
    expect(ids.length).toBe(results[0]?.rows);
    // The sections after the long one are all there, whole.
    expect(exported.collections).toEqual([expect.objectContaining({ id: collection.id, imageIds: [image.id] })]);
    expect(exported.twoFactor).toEqual({ enabled: false, enabledAt: null, backupCodes: [] });
    expect(Array.isArray(exported.passwordResets)).toBe(true);
  });
});

describe("DELETE /v1/account", () => {
  it("needs the password (401 otherwise, nothing removed)", async () => {
    const user = await registerUser();
    await expectProblem(
      await api("DELETE", "/v1/account", { token: user.token, body: { password: "not it" } }),
      401,
      "invalid_credentials",
    );
    expect((await api("GET", "/v1/me", { token: user.token })).status).toBe(200);
  });

  it("refuses (409) while the user is the sole owner of a team with other members", async () => {
    const owner = await registerUser();
    const member = await registerUser();
    const team = await createTeam(owner.token);
    await addMember(owner, team.id, member, "member");
    await expectProblem(
      await api("DELETE", "/v1/account", { token: owner.token, body: { password: owner.password } }),
      409,
      "conflict",
    );
    expect((await api("GET", `/v1/teams/${team.id}`, { token: member.token })).status).toBe(200);
  });

  it("erases the user and everything theirs; every credential dies; no table keeps their id, email or IP", async () => {
    const { user, key, image, ip } = await busyUser();
    const soloTeam = await createTeam(user.token, "Solo");
    const teamImage = await createImage(user.token, { teamId: soloTeam.id });
    const other = await registerUser();
    const sharedTeam = await createTeam(other.token, "Shared");
    await addMember(other, sharedTeam.id, user, "member");
    await api("DELETE", `/v1/teams/${sharedTeam.id}/members/${user.id}`, { token: other.token });
    await addMember(other, sharedTeam.id, user, "viewer");
    const second = await login(user.email, user.password);
    // Sign-ins from two countries: the second mails a notice; both are exported, then erased.
    for (const country of ["DE", "FR"]) {
      const signIn = await api("POST", "/v1/auth/login", {
        body: { email: user.email, password: user.password },
        ip,
        cf: { country },
      });
      expect(signIn.status).toBe(200);
    }
    const exported = (await (await api("GET", "/v1/account/export", { token: user.token })).json()) as {
      signInCountries: unknown;
    };
    expect(exported.signInCountries).toEqual([
      { country: "DE", lastSeenAt: expect.any(String) },
      { country: "FR", lastSeenAt: expect.any(String) },
    ]);

    const response = await api("DELETE", "/v1/account", { token: user.token, body: { password: user.password } });
    expect(response.status).toBe(204);

    for (const credential of [user.token, second, key.key]) {
      await expectProblem(await api("GET", "/v1/images", { token: credential }), 401, "unauthorized");
    }
    await expectProblem(
      await api("POST", "/v1/auth/login", { body: { email: user.email, password: user.password } }),
      401,
      "invalid_credentials",
    );
    expect(await env.IMAGES.get(`images/${image.id}`)).toBeNull();
    expect(await env.IMAGES.get(`images/${teamImage.id}`)).toBeNull();
    await expectProblem(await api("GET", `/v1/teams/${soloTeam.id}`, { token: other.token }), 404, "not_found");
    expect((await api("GET", `/v1/teams/${sharedTeam.id}`, { token: other.token })).status).toBe(200);

    // The trace scan: every column of every table, as text.
    const traces = [user.id, user.email, ip];
    for (const table of await applicationTables()) {
      const { results } = await env.DB.prepare(`SELECT * FROM ${table}`).all();
      const dump = JSON.stringify(results);
      for (const trace of traces)
        expect({ table, trace, found: dump.includes(trace) }).toEqual({ table, trace, found: false });
    }
    const countries = env.DB.prepare("SELECT count(*) AS n FROM sign_in_countries WHERE user_id = ?").bind(user.id);
    expect(await countries.first("n")).toBe(0);
    const erased = await env.DB.prepare("SELECT user_id, ip FROM audit_log WHERE type = 'account.erased'").all();
    expect(erased.results).toEqual([{ user_id: null, ip: null }]);
  });
});

describe("DELETE /v1/account leaves other people's records alone (finding 4)", () => {
  it("an attacker who erases an account registered from their address does not wipe that address from victims' failed logins", async () => {
    const victim = await registerUser();
    const attackerIp = randomIp();
    const failed = await api("POST", "/v1/auth/login", {
      body: { email: victim.email, password: "stuffed guess" },
      ip: attackerIp,
    });
    expect(failed.status).toBe(401);
    const failedRows = () =>
      env.DB.prepare("SELECT ip FROM audit_log WHERE user_id = ? AND type = 'auth.login_failed'")
        .bind(victim.id)
        .all<{ ip: string | null }>();
    expect((await failedRows()).results).toEqual([{ ip: attackerIp }]);

    const password = "attacker's own long password";
    const registered = await api("POST", "/v1/auth/register", {
      body: { email: uniqueEmail("attacker"), password },
      ip: attackerIp,
    });
    expect(registered.status).toBe(201);
    const { token, user } = (await registered.json()) as { token: string; user: { id: string } };
    expect((await api("DELETE", "/v1/account", { token, body: { password } })).status).toBe(204);

    expect((await failedRows()).results).toEqual([{ ip: attackerIp }]);
    // The eraser's own rows are the ones pseudonymised: the address stays only on the victim's.
    const withIp = await env.DB.prepare("SELECT user_id FROM audit_log WHERE ip = ?").bind(attackerIp).all();
    expect(withIp.results).toEqual([{ user_id: victim.id }]);
    const own = await env.DB.prepare("SELECT count(*) AS n FROM audit_log WHERE user_id = ?")
      .bind(user.id)
      .first<{ n: number }>();
    expect(own?.n).toBe(0);
  });

  it("an account whose email is part of another's address rewrites nothing of that other user's rows", async () => {
    const victim = await registerUser();
    const owner = await registerUser();
    const { id: teamId } = await createTeam(owner.token);
    await addMember(owner, teamId, victim, "member");
    await api("DELETE", `/v1/teams/${teamId}/members/${victim.id}`, { token: owner.token });
    // The owner's row names the victim: it must keep naming them.
    const before = await env.DB.prepare("SELECT * FROM audit_log WHERE user_id = ? ORDER BY id").bind(owner.id).all();
    const suffix = victim.email.slice(1);
    const password = "a long password of the suffix";
    const registered = await api("POST", "/v1/auth/register", { body: { email: suffix, password } });
    expect(registered.status).toBe(201);
    const { token } = (await registered.json()) as { token: string };
    expect((await api("DELETE", "/v1/account", { token, body: { password } })).status).toBe(204);
    const after = await env.DB.prepare("SELECT * FROM audit_log WHERE user_id = ? ORDER BY id").bind(owner.id).all();
    expect(after.results).toEqual(before.results);
  });
});

describe("DELETE /v1/account keeps every team an owner (finding 8)", () => {
  it("two owners erasing their accounts at once: one goes, the other gets 409 conflict, the team keeps an owner", async () => {
    const [first, second, member] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const { id: teamId } = await createTeam(first.token);
    await addMember(first, teamId, second, "owner");
    await addMember(first, teamId, member, "member");

    const answers = await Promise.all(
      [first, second].map((owner) =>
        api("DELETE", "/v1/account", { token: owner.token, body: { password: owner.password } }),
      ),
    );
    expect(answers.map((answer) => answer.status).sort()).toEqual([204, 409]);
    await expectProblem(answers.find((answer) => answer.status === 409) as Response, 409, "conflict");
    const owners = await env.DB.prepare("SELECT count(*) AS n FROM team_members WHERE team_id = ? AND role = 'owner'")
      .bind(teamId)
      .first<{ n: number }>();
    expect(owners?.n).toBe(1);
    expect((await api("GET", `/v1/teams/${teamId}`, { token: member.token })).status).toBe(200);
  });

  it("the erasure's own transaction refuses a plan made before a co-owner left: nothing is erased", async () => {
    // What a concurrent erasure does to the second one, step by step: B decided while A was
    // still an owner (no team goes with B), then A left; B's batch must fail whole.
    const [a, b, member] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const { id: teamId } = await createTeam(a.token);
    await addMember(a, teamId, b, "owner");
    await addMember(a, teamId, member, "member");
    expect((await api("DELETE", `/v1/teams/${teamId}/members/${a.id}`, { token: a.token })).status).toBe(204);
    const { database } = await import("../../src/db/client");
    const { eraseUserRows } = await import("../../src/db/account");
    await expect(eraseUserRows(database(env.DB), b, [], { requestId: "req_test" })).rejects.toThrow();
    expect((await api("GET", "/v1/me", { token: b.token })).status).toBe(200);
    expect((await api("GET", `/v1/teams/${teamId}`, { token: member.token })).status).toBe(200);
    await expectProblem(
      await api("DELETE", "/v1/account", { token: b.token, body: { password: b.password } }),
      409,
      "conflict",
    );
  });

  it("two co-owners alone in a team erasing at once both go, and the team with them (none is left ownerless)", async () => {
    const [first, second] = await Promise.all([registerUser(), registerUser()]);
    const { id: teamId } = await createTeam(first.token);
    await addMember(first, teamId, second, "owner");
    const answers = await Promise.all(
      [first, second].map((owner) =>
        api("DELETE", "/v1/account", { token: owner.token, body: { password: owner.password } }),
      ),
    );
    expect(answers.map((answer) => answer.status)).toEqual([204, 204]);
    const team = await env.DB.prepare("SELECT count(*) AS n FROM teams WHERE id = ?")
      .bind(teamId)
      .first<{ n: number }>();
    expect(team?.n).toBe(0);
  });
});

/** A team in which `leaver` made images, a collection and a comment, with an owner and an admin who stay. */
async function teamWorkOfALeaver() {
  const [owner, admin, leaver] = await Promise.all([registerUser(), registerUser(), registerUser()]);
  const { id: teamId } = await createTeam(owner.token, "Studio");
  await addMember(owner, teamId, admin, "admin");
  await addMember(owner, teamId, leaver, "member");
  const teamImage = await createImage(leaver.token, { teamId, prompt: "the team's secret campaign" });
  const deletedImage = await createImage(leaver.token, { teamId, prompt: "deleted by the admin" });
  const teamCollection = await createCollection(leaver.token, { teamId, name: "Campaign" });
  expect(
    (await api("PUT", `/v1/collections/${teamCollection.id}/images/${teamImage.id}`, { token: leaver.token })).status,
  ).toBe(204);
  for (const [author, body] of [
    [owner, "the owner's note"],
    [leaver, "the leaver's note"],
  ] as const) {
    const commented = await api("POST", `/v1/images/${teamImage.id}/comments`, { token: author.token, body: { body } });
    expect(commented.status).toBe(201);
  }
  expect((await api("DELETE", `/v1/images/${deletedImage.id}`, { token: owner.token })).status).toBe(204);
  const personalImage = await createImage(leaver.token, { prompt: "my own cat" });
  const personalCollection = await createCollection(leaver.token, { name: "Mine" });
  return { owner, admin, leaver, teamId, teamImage, deletedImage, teamCollection, personalImage, personalCollection };
}

async function removeFromTeam(owner: { token: string }, teamId: string, userId: string) {
  expect((await api("DELETE", `/v1/teams/${teamId}/members/${userId}`, { token: owner.token })).status).toBe(204);
}

describe("DELETE /v1/account keeps the team's work (issue 15, finding 1)", () => {
  it("a removed member who erases their account leaves the team's images, bytes, collection and comments intact and restorable", async () => {
    const work = await teamWorkOfALeaver();
    const { owner, admin, leaver, teamId, teamImage, deletedImage, teamCollection } = work;
    await removeFromTeam(owner, teamId, leaver.id);

    const erased = await api("DELETE", "/v1/account", { token: leaver.token, body: { password: leaver.password } });
    expect(erased.status).toBe(204);

    // The image and its bytes stay the team's; its creator shows as a former member (null).
    const image = await api("GET", `/v1/images/${teamImage.id}`, { token: admin.token });
    expect(image.status).toBe(200);
    expect(await image.json()).toMatchObject({ id: teamImage.id, ownerId: null, teamId });
    expect((await api("GET", `/v1/images/${teamImage.id}/content`, { token: admin.token })).status).toBe(200);
    expect(await env.IMAGES.get(`images/${teamImage.id}`)).not.toBeNull();
    // The team's roles still decide over it.
    const renamed = await api("PATCH", `/v1/images/${teamImage.id}`, { token: admin.token, body: { title: "Kept" } });
    expect(renamed.status).toBe(200);

    const collection = await api("GET", `/v1/collections/${teamCollection.id}`, { token: owner.token });
    expect(collection.status).toBe(200);
    expect(await collection.json()).toMatchObject({ ownerId: null, teamId, imageIds: [teamImage.id] });

    const comments = await api("GET", `/v1/images/${teamImage.id}/comments`, { token: owner.token });
    expect(comments.status).toBe(200);
    const { data } = (await comments.json()) as { data: { authorId: string | null; body: string }[] };
    expect(data.map(({ authorId, body }) => ({ authorId, body }))).toEqual(
      expect.arrayContaining([
        { authorId: owner.id, body: "the owner's note" },
        { authorId: null, body: "the leaver's note" },
      ]),
    );

    // The image an owner had deleted is still in its 30-day window, bytes included.
    expect(await env.IMAGES.get(`images/${deletedImage.id}`)).not.toBeNull();
    const restored = await api("POST", `/v1/images/${deletedImage.id}/restore`, { token: owner.token });
    expect(restored.status).toBe(200);
    expect(await restored.json()).toMatchObject({ id: deletedImage.id, ownerId: null });

    // The team's log says a member's account was erased and what the team kept, naming nobody.
    const log = await api("GET", `/v1/teams/${teamId}/audit-log?type=team.member_erased`, { token: owner.token });
    expect(log.status).toBe(200);
    const rows = ((await log.json()) as { data: Record<string, unknown>[] }).data;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      userId: null,
      ip: null,
      teamId,
      metadata: { images: 2, collections: 1, comments: 1 },
    });
    expect(JSON.stringify(rows)).not.toContain(leaver.id);
    expect(JSON.stringify(rows)).not.toContain(leaver.email);
  });

  it("the erased user's personal images, their bytes and personal collections are gone", async () => {
    const { owner, leaver, teamId, personalImage, personalCollection } = await teamWorkOfALeaver();
    await removeFromTeam(owner, teamId, leaver.id);
    expect(await env.IMAGES.get(`images/${personalImage.id}`)).not.toBeNull();

    expect(
      (await api("DELETE", "/v1/account", { token: leaver.token, body: { password: leaver.password } })).status,
    ).toBe(204);

    expect(await env.IMAGES.get(`images/${personalImage.id}`)).toBeNull();
    const left = await env.DB.prepare("SELECT count(*) AS n FROM images WHERE id = ? OR user_id = ?")
      .bind(personalImage.id, leaver.id)
      .first<{ n: number }>();
    expect(left?.n).toBe(0);
    const collections = await env.DB.prepare("SELECT count(*) AS n FROM collections WHERE id = ? OR user_id = ?")
      .bind(personalCollection.id, leaver.id)
      .first<{ n: number }>();
    expect(collections?.n).toBe(0);
    const comments = await env.DB.prepare("SELECT count(*) AS n FROM comments WHERE user_id = ?")
      .bind(leaver.id)
      .first<{ n: number }>();
    expect(comments?.n).toBe(0);
  });
});

describe("GET /v1/account/export follows current membership (issue 15, finding 4)", () => {
  it("a removed member's export holds their personal objects, and no team's current prompt, title or collection id", async () => {
    const { owner, leaver, teamId, teamImage, teamCollection, personalImage, personalCollection } =
      await teamWorkOfALeaver();
    const exportOf = async () => {
      const response = await api("GET", "/v1/account/export", { token: leaver.token });
      expect(response.status).toBe(200);
      const text = await response.text();
      return { text, exported: JSON.parse(text) as { images: { id: string }[]; collections: { id: string }[] } };
    };
    // While a member, the team objects they made are theirs to export.
    const asMember = await exportOf();
    expect(asMember.exported.images.map((image) => image.id)).toEqual(
      expect.arrayContaining([teamImage.id, personalImage.id]),
    );
    expect(asMember.exported.collections.map((collection) => collection.id)).toContain(teamCollection.id);

    await removeFromTeam(owner, teamId, leaver.id);
    const retitled = await api("PATCH", `/v1/images/${teamImage.id}`, {
      token: owner.token,
      body: { title: "Launch plan for spring" },
    });
    expect(retitled.status).toBe(200);

    const { text, exported } = await exportOf();
    expect(exported.images.map((image) => image.id)).toEqual([personalImage.id]);
    expect(exported.collections.map((collection) => collection.id)).toEqual([personalCollection.id]);
    for (const secret of [
      "the team's secret campaign",
      "Launch plan for spring",
      "deleted by the admin",
      teamCollection.id,
    ]) {
      expect({ secret, found: text.includes(secret) }).toEqual({ secret, found: false });
    }
  });
});
