import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";

// Migration 0011 rebuilds images, collections and comments (their creator becomes nullable). On
// D1 a rebuild that drops a parent table cascades to its children, so this test replays the
// migration on a database that holds rows and checks that every one of them is still there.
const REBUILD = "0011_team_work_outlives_members.sql";

async function tables(): Promise<string[]> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%'",
  ).all<{ name: string }>();
  return results.map((row) => row.name);
}

async function rows(sql: string) {
  return (await env.DB.prepare(sql).all()).results;
}

describe("migration 0011 keeps every row while the creator columns become nullable", () => {
  it("copies images, collections, comments, collection entries and licence links, and keeps the indexes", async () => {
    // Back to an empty database, then every migration before the rebuild.
    // A table that references a dropped one can no longer be dropped: children go first, by retries.
    for (let left = await tables(); left.length > 0; left = await tables()) {
      for (const name of left)
        await env.DB.prepare(`DROP TABLE "${name}"`)
          .run()
          .catch(() => undefined);
    }
    const before = env.TEST_MIGRATIONS.filter((migration) => migration.name < REBUILD);
    expect(before.length).toBeLessThan(env.TEST_MIGRATIONS.length);
    await applyD1Migrations(env.DB, before);

    const now = Date.now();
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO users (id, email, password_hash, plan, created_at, updated_at) VALUES ('usr_a', 'a@example.com', 'x', 'standard', ?1, ?1)",
      ).bind(now),
      env.DB.prepare("INSERT INTO teams (id, name, created_at, updated_at) VALUES ('team_t', 'T', ?1, ?1)").bind(now),
      env.DB.prepare(
        `INSERT INTO images (id, user_id, team_id, prompt, title, size, content_type, byte_size, r2_key, created_at, updated_at, deleted_at)
         VALUES ('img_1', 'usr_a', 'team_t', 'p1', 't1', '256x256', 'image/png', 10, 'images/1', ?1, ?1, NULL),
                ('img_2', 'usr_a', NULL, 'p2', NULL, '256x256', 'image/png', 20, 'images/2', ?1, ?1, ?1)`,
      ).bind(now),
      env.DB.prepare(
        "INSERT INTO collections (id, user_id, team_id, name, created_at, updated_at) VALUES ('col_1', 'usr_a', 'team_t', 'C', ?1, ?1)",
      ).bind(now),
      env.DB.prepare(
        "INSERT INTO collection_images (collection_id, image_id, added_at) VALUES ('col_1', 'img_1', ?1)",
      ).bind(now),
      env.DB.prepare(
        "INSERT INTO comments (id, image_id, user_id, body, created_at) VALUES ('cmt_1', 'img_1', 'usr_a', 'nice', ?1)",
      ).bind(now),
      env.DB.prepare(
        "INSERT INTO licenses (id, user_id, image_id, stripe_checkout_session_id, created_at) VALUES ('lic_1', 'usr_a', 'img_2', 'cs_1', ?1)",
      ).bind(now),
    ]);
    const snapshot = async () => ({
      images: await rows("SELECT * FROM images ORDER BY id"),
      collections: await rows("SELECT * FROM collections ORDER BY id"),
      entries: await rows("SELECT * FROM collection_images"),
      comments: await rows("SELECT * FROM comments"),
      licenses: await rows("SELECT * FROM licenses"),
    });
    const seeded = await snapshot();
    expect(seeded.entries).toHaveLength(1);

    await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);

    expect(await snapshot()).toEqual(seeded);
    expect(await tables()).not.toContain("__keep_comments");
    for (const table of ["images", "collections", "comments"]) {
      const columns = await rows(`PRAGMA table_info("${table}")`);
      expect(columns.find((column) => column.name === "user_id")).toMatchObject({ notnull: 0 });
    }
    const indexes = (await rows("SELECT name FROM sqlite_master WHERE type = 'index'")).map((row) => row.name);
    expect(indexes).toEqual(
      expect.arrayContaining([
        "images_user_created_idx",
        "images_team_created_idx",
        "images_deleted_idx",
        "collections_user_created_idx",
        "collections_team_created_idx",
        "comments_image_created_idx",
        "collection_images_image_idx",
      ]),
    );
    // Erasing the creator now keeps the rows and clears the creator.
    await env.DB.prepare("DELETE FROM users WHERE id = 'usr_a'").run();
    expect(await rows("SELECT id, user_id FROM images WHERE team_id = 'team_t'")).toEqual([
      { id: "img_1", user_id: null },
    ]);
    expect(await rows("SELECT user_id FROM comments")).toEqual([{ user_id: null }]);
  });
});
