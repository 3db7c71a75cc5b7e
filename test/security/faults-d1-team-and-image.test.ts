// ASVS 5.0 V2.3.3 (business logic: an operation succeeds in its entirety or is rolled back),
// V16.5.1 (generic error body: no SQL, no stack), V16.3 (security events: no change without its
// audit row); OWASP API8:2023 (security misconfiguration: errors). D1 refuses a write in the
// middle of accepting an invitation or deleting an image (a SQLite trigger raising ABORT inside
// the real D1 transaction): the API answers 5xx problem+json, and nothing is half-done (an
// invitation used up without the membership, an image gone without its audit row).
import { describe, expect, it } from "vitest";
import { api, expectProblem, registerUser } from "../helpers/api";
import { count, duringFault } from "../helpers/faults";
import { createImage, createTeam } from "../helpers/fixtures";
import { tokenFromMail, waitForMail } from "../helpers/outbox";

describe("POST /v1/invitations/accept when D1 fails part-way", () => {
  it("answers 500; the invitation is not used up and no membership exists; the same token then joins", async () => {
    const owner = await registerUser();
    const invitee = await registerUser();
    const team = await createTeam(owner.token, "Joinable");
    const invited = await api("POST", `/v1/teams/${team.id}/invitations`, {
      token: owner.token,
      body: { email: invitee.email, role: "member" },
    });
    expect(invited.status).toBe(201);
    const { id: invitationId } = (await invited.json()) as { id: string };
    const token = tokenFromMail(await waitForMail(invitee.email, /invited/i));
    const accept = () => api("POST", "/v1/invitations/accept", { token: invitee.token, body: { token } });

    // The membership row is written in the same transaction that uses the invitation up.
    await duringFault("team_members", "INSERT", accept);
    expect(
      await count("SELECT count(*) AS n FROM team_invitations WHERE id = ? AND accepted_at IS NULL", invitationId),
    ).toBe(1);
    await expectProblem(await api("GET", `/v1/teams/${team.id}`, { token: invitee.token }), 404, "not_found");

    // And the other way round: the invitation cannot be used up, so no membership is written.
    await duringFault("team_invitations", "UPDATE", accept);
    expect(await count("SELECT count(*) AS n FROM team_members WHERE team_id = ?", team.id)).toBe(1);

    const accepted = await accept();
    expect(accepted.status).toBe(200);
    expect(((await accepted.json()) as { role: string }).role).toBe("member");
    expect((await api("GET", `/v1/teams/${team.id}`, { token: invitee.token })).status).toBe(200);
    // Used once: a second use is refused.
    await expectProblem(await accept(), 400, "invalid_token");
  });
});

describe("DELETE /v1/images/{id} when D1 fails part-way", () => {
  it("answers 500 whether the soft delete or its audit row fails; the image stays visible with its bytes", async () => {
    const user = await registerUser();
    const image = await createImage(user.token);
    const remove = () => api("DELETE", `/v1/images/${image.id}`, { token: user.token });

    for (const [table, event] of [
      ["images", "UPDATE"],
      ["audit_log", "INSERT"],
    ] as const) {
      await duringFault(table, event, remove);
      expect((await api("GET", `/v1/images/${image.id}`, { token: user.token })).status).toBe(200);
      expect((await api("GET", `/v1/images/${image.id}/content`, { token: user.token })).status).toBe(200);
    }
    expect(
      await count("SELECT count(*) AS n FROM audit_log WHERE user_id = ? AND type = 'image.deleted'", user.id),
    ).toBe(0);

    expect((await remove()).status).toBe(204);
    await expectProblem(await api("GET", `/v1/images/${image.id}`, { token: user.token }), 404, "not_found");
    expect(
      await count("SELECT count(*) AS n FROM audit_log WHERE user_id = ? AND type = 'image.deleted'", user.id),
    ).toBe(1);
  });
});

describe("team and image changes whose audit row cannot be written", () => {
  it("creating or renaming a team and restoring an image answer 500 and change nothing; repeated, they work", async () => {
    const owner = await registerUser();
    const auditOf = (type: string) =>
      count("SELECT count(*) AS n FROM audit_log WHERE user_id = ? AND type = ?", owner.id, type);

    await duringFault("audit_log", "INSERT", () =>
      api("POST", "/v1/teams", { token: owner.token, body: { name: "Never made" } }),
    );
    expect(await count("SELECT count(*) AS n FROM teams WHERE name = 'Never made'")).toBe(0);
    expect(await count("SELECT count(*) AS n FROM team_members WHERE user_id = ?", owner.id)).toBe(0);

    const team = await createTeam(owner.token, "Old name");
    await duringFault("audit_log", "INSERT", () =>
      api("PATCH", `/v1/teams/${team.id}`, { token: owner.token, body: { name: "New name" } }),
    );
    expect(await count("SELECT count(*) AS n FROM teams WHERE id = ? AND name = 'Old name'", team.id)).toBe(1);
    expect(await auditOf("team.updated")).toBe(0);
    expect(
      (await api("PATCH", `/v1/teams/${team.id}`, { token: owner.token, body: { name: "New name" } })).status,
    ).toBe(200);
    expect(await auditOf("team.updated")).toBe(1);

    const image = await createImage(owner.token);
    expect((await api("DELETE", `/v1/images/${image.id}`, { token: owner.token })).status).toBe(204);
    await duringFault("audit_log", "INSERT", () =>
      api("POST", `/v1/images/${image.id}/restore`, { token: owner.token }),
    );
    expect((await api("GET", `/v1/images/${image.id}`, { token: owner.token })).status).toBe(404);
    expect((await api("POST", `/v1/images/${image.id}/restore`, { token: owner.token })).status).toBe(200);
    expect(await auditOf("image.restored")).toBe(1);
  });
});
