import { describe, expect, it } from "vitest";
import { api, env, expectProblem, registerUser } from "../helpers/api";
import { createCollection, createImage, createTeam } from "../helpers/fixtures";

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

describe("POST /v1/images/generations", () => {
  it("creates an image whose bytes are a PNG of the asked size, served with its content type", async () => {
    const user = await registerUser();
    const image = await createImage(user.token, { prompt: "a red fox", size: "512x512" });
    expect(image).toMatchObject({ prompt: "a red fox", ownerId: user.id, teamId: null });
    expect(image.id).toMatch(/^img_/);
    const content = await api("GET", `/v1/images/${image.id}/content`, { token: user.token });
    expect(content.status).toBe(200);
    expect(content.headers.get("Content-Type")).toBe("image/png");
    expect(content.headers.get("X-Content-Type-Options")).toBe("nosniff");
    const bytes = new Uint8Array(await content.arrayBuffer());
    expect([...bytes.slice(0, 8)]).toEqual(PNG_SIGNATURE);
    const view = new DataView(bytes.buffer);
    expect([view.getUint32(16), view.getUint32(20)]).toEqual([512, 512]);
  });

  it.each([
    ["an empty prompt", { prompt: "" }, "prompt"],
    ["a 1001-character prompt", { prompt: "p".repeat(1001) }, "prompt"],
    ["an unknown size", { prompt: "x", size: "2048x2048" }, "size"],
    ["an unknown field", { prompt: "x", userId: "usr_someone" }, "userId"],
  ])("refuses %s with 400 and stores nothing", async (_label, body, path) => {
    const user = await registerUser();
    const problem = await expectProblem(
      await api("POST", "/v1/images/generations", { token: user.token, body }),
      400,
      "validation_failed",
    );
    expect(problem.errors?.map((error) => error.path)).toContain(path);
    const count = await env.DB.prepare("SELECT count(*) AS n FROM images WHERE user_id = ?")
      .bind(user.id)
      .first<{ n: number }>();
    expect(count?.n).toBe(0);
  });
});

describe("soft delete and restore", () => {
  it("hides a deleted image at once, restores it, and lets no other tenant restore it", async () => {
    const user = await registerUser();
    const stranger = await registerUser();
    const image = await createImage(user.token);
    expect((await api("DELETE", `/v1/images/${image.id}`, { token: user.token })).status).toBe(204);
    await expectProblem(await api("GET", `/v1/images/${image.id}`, { token: user.token }), 404, "not_found");
    await expectProblem(await api("GET", `/v1/images/${image.id}/content`, { token: user.token }), 404, "not_found");
    const list = (await (await api("GET", "/v1/images", { token: user.token })).json()) as { data: unknown[] };
    expect(list.data).toEqual([]);

    await expectProblem(
      await api("POST", `/v1/images/${image.id}/restore`, { token: stranger.token }),
      404,
      "not_found",
    );
    const restored = await api("POST", `/v1/images/${image.id}/restore`, { token: user.token });
    expect(restored.status).toBe(200);
    expect((await api("GET", `/v1/images/${image.id}`, { token: user.token })).status).toBe(200);
  });

  it("cannot restore after 30 days, nor restore an image that is not deleted", async () => {
    const user = await registerUser();
    const image = await createImage(user.token);
    await expectProblem(await api("POST", `/v1/images/${image.id}/restore`, { token: user.token }), 404, "not_found");
    await api("DELETE", `/v1/images/${image.id}`, { token: user.token });
    await env.DB.prepare("UPDATE images SET deleted_at = ? WHERE id = ?")
      .bind(Date.now() - 31 * 86_400_000, image.id)
      .run();
    await expectProblem(await api("POST", `/v1/images/${image.id}/restore`, { token: user.token }), 404, "not_found");
  });
});

describe("lists", () => {
  it("page through images newest first with an opaque cursor", async () => {
    const user = await registerUser();
    const created = [];
    for (let index = 0; index < 5; index++)
      created.push((await createImage(user.token, { prompt: `image ${index}` })).id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const response = await api("GET", `/v1/images?limit=2${cursor ? `&cursor=${cursor}` : ""}`, {
        token: user.token,
      });
      const page = (await response.json()) as { data: { id: string }[]; nextCursor: string | null };
      seen.push(...page.data.map((image) => image.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual([...created].reverse());
  });

  it.each(["?limit=0", "?limit=101", "?cursor=not-a-cursor", "?teamId=x&extra=1"])(
    "refuses %s with 400",
    async (query) => {
      const user = await registerUser();
      await expectProblem(await api("GET", `/v1/images${query}`, { token: user.token }), 400, "validation_failed");
    },
  );
});

describe("collections", () => {
  it("hold images of their own owner only (409 otherwise) and hide deleted ones", async () => {
    const user = await registerUser();
    const team = await createTeam(user.token);
    const personal = await createImage(user.token);
    const teamImage = await createImage(user.token, { teamId: team.id });
    const collection = await createCollection(user.token);

    expect(
      (await api("PUT", `/v1/collections/${collection.id}/images/${personal.id}`, { token: user.token })).status,
    ).toBe(204);
    expect(
      (await api("PUT", `/v1/collections/${collection.id}/images/${personal.id}`, { token: user.token })).status,
    ).toBe(204);
    await expectProblem(
      await api("PUT", `/v1/collections/${collection.id}/images/${teamImage.id}`, { token: user.token }),
      409,
      "conflict",
    );

    const read = async () =>
      (await (await api("GET", `/v1/collections/${collection.id}`, { token: user.token })).json()) as {
        imageIds: string[];
      };
    expect((await read()).imageIds).toEqual([personal.id]);
    await api("DELETE", `/v1/images/${personal.id}`, { token: user.token });
    expect((await read()).imageIds).toEqual([]);
  });
});

describe("stored text comes back byte for byte", () => {
  const payloads = [
    "'; DROP TABLE images; --",
    '" OR 1=1 --',
    "<script>alert(document.cookie)</script>",
    "<img src=x onerror=alert(1)>",
    "Robert'); DELETE FROM users WHERE ('1'='1",
    "emoji 🖼️ and accents é, and a tab\there",
  ];

  it.each(payloads)("%s", async (payload) => {
    const user = await registerUser();
    const image = await createImage(user.token, { prompt: payload });
    expect(image.prompt).toBe(payload);
    const patched = await api("PATCH", `/v1/images/${image.id}`, { token: user.token, body: { title: payload } });
    expect(((await patched.json()) as { title: string }).title).toBe(payload);
    const fetched = await api("GET", `/v1/images/${image.id}`, { token: user.token });
    expect(fetched.headers.get("Content-Type")).toBe("application/json");
    expect(await fetched.json()).toMatchObject({ prompt: payload, title: payload });

    const comment = await api("POST", `/v1/images/${image.id}/comments`, {
      token: user.token,
      body: { body: payload },
    });
    expect(comment.status).toBe(201);
    const comments = (await (await api("GET", `/v1/images/${image.id}/comments`, { token: user.token })).json()) as {
      data: { body: string }[];
    };
    expect(comments.data[0]?.body).toBe(payload);

    const name = payload.trim().slice(0, 100);
    const collection = await api("POST", "/v1/collections", { token: user.token, body: { name } });
    expect(((await collection.json()) as { name: string }).name).toBe(name);
    const team = await api("POST", "/v1/teams", { token: user.token, body: { name } });
    expect(((await team.json()) as { name: string }).name).toBe(name);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM users").first<{ n: number }>())?.n).toBeGreaterThan(0);
  });
});

describe("image quotas (standard plan: 1,000 images, 1 GiB)", () => {
  /** `count` stored images of `bytes` each for the user, written straight to D1 (no R2 bytes needed). */
  async function holdImages(userId: string, count: number, bytes: number) {
    const now = Date.now();
    await env.DB.prepare(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
       INSERT INTO images (id, user_id, prompt, size, content_type, byte_size, r2_key, created_at, updated_at)
       SELECT 'img_held_' || ? || '_' || i, ?, 'held', '256x256', 'image/png', ?, 'images/held_' || ? || '_' || i, ?, ? FROM n`,
    )
      .bind(count, userId, userId, bytes, userId, now, now)
      .run();
  }
  const storedObjects = async () => (await env.IMAGES.list({ prefix: "images/" })).objects.length;
  const generate = (token: string) =>
    api("POST", "/v1/images/generations", { token, body: { prompt: "one more", size: "256x256" } });

  it("refuses the image past the count with 403 quota_exceeded, and stores no bytes for it", async () => {
    const user = await registerUser();
    await holdImages(user.id, 999, 100);
    expect((await generate(user.token)).status).toBe(201);
    const before = await storedObjects();
    await expectProblem(await generate(user.token), 403, "quota_exceeded");
    expect(await storedObjects()).toBe(before);
  });

  it("refuses an image whose bytes would pass 1 GiB, after generating it, and deletes those bytes", async () => {
    const user = await registerUser();
    await holdImages(user.id, 1, 1024 ** 3 - 10);
    const before = await storedObjects();
    await expectProblem(await generate(user.token), 403, "quota_exceeded");
    expect(await storedObjects()).toBe(before);
  });

  it("admits exactly what fits when generations race: 5 at once with room for 2", async () => {
    const user = await registerUser();
    await holdImages(user.id, 998, 100);
    const statuses = (await Promise.all(Array.from({ length: 5 }, () => generate(user.token)))).map((r) => r.status);
    expect(statuses.sort()).toEqual([201, 201, 403, 403, 403]);
    const held = await env.DB.prepare("SELECT count(*) AS n FROM images WHERE user_id = ?").bind(user.id).first("n");
    expect(held).toBe(1000);
  });
});
