// OWASP API1:2023 (broken object level authorization), API5:2023 (broken function level
// authorization); ASVS 5.0 V8.1.1 (the rules are written down: test/helpers/access-matrix-table.ts),
// V8.2.1 (function-level access), V8.2.2 (data-specific access: IDOR/BOLA), V8.3.1 (enforced
// server-side), V8.4.1 (cross-tenant isolation). The image rows of the access matrix: every
// image route × every kind of caller, as real requests; refusals leave the image as it was.
import { env } from "cloudflare:workers";
import { beforeAll, expect } from "vitest";
import {
  type Cell,
  type CellRequest,
  describeAccessMatrix,
  json,
  type Probe,
  scalar,
  useWorld,
} from "../helpers/access-matrix";
import { api } from "../helpers/api";
import { createImage } from "../helpers/fixtures";

const world = useWorld();
type Image = Awaited<ReturnType<typeof createImage>>;

let teamImage: Image;
let personalImage: Image;

beforeAll(async () => {
  const { owner, teamId } = world();
  teamImage = await createImage(owner.token, { teamId, prompt: "team image" });
  personalImage = await createImage(owner.token, { prompt: "personal image" });
  const comment = await api("POST", `/v1/images/${teamImage.id}/comments`, {
    token: owner.token,
    body: { body: "hi" },
  });
  expect(comment.status).toBe(201);
  const own = await api("POST", `/v1/images/${personalImage.id}/comments`, {
    token: owner.token,
    body: { body: "me" },
  });
  expect(own.status).toBe(201);
});

type Target = "team" | "personal";
const targetImage = (target: Target) => (target === "team" ? teamImage : personalImage);

/** A new image of the owner: in T, or personal. */
function newImage(target: Target, label: string) {
  const { owner, teamId } = world();
  return createImage(owner.token, { prompt: `fresh for ${label}`, ...(target === "team" ? { teamId } : {}) });
}

/** A new soft-deleted image of the owner. */
async function newDeletedImage(target: Target, label: string) {
  const image = await newImage(target, label);
  expect((await api("DELETE", `/v1/images/${image.id}`, { token: world().owner.token })).status).toBe(204);
  return image;
}

const ownerReads = (path: string) => api("GET", path, { token: world().owner.token });

async function imageRow(id: string) {
  return env.DB.prepare("SELECT title, prompt, deleted_at FROM images WHERE id = ?")
    .bind(id)
    .first<{ title: string | null; prompt: string; deleted_at: number | null }>();
}

/** Reads of one image: allowed callers get exactly that image. */
const read =
  (target: Target, suffix: "" | "/content" | "/comments"): Probe =>
  () => {
    const image = targetImage(target);
    return {
      method: "GET",
      path: `/v1/images/${image.id}${suffix}`,
      after: async (response) => {
        if (!response.ok) return;
        if (suffix === "") expect(await json(response)).toMatchObject({ id: image.id, teamId: image.teamId });
        if (suffix === "/content") {
          expect(response.headers.get("Content-Type")).toMatch(/^image\//);
          expect((await response.arrayBuffer()).byteLength).toBeGreaterThan(0);
        }
        if (suffix === "/comments") {
          const { data } = await json<{ data: { imageId: string }[] }>(response);
          expect(data.length).toBeGreaterThan(0);
          expect(data.every((comment) => comment.imageId === image.id)).toBe(true);
        }
      },
    };
  };

/** Allowed callers change a fresh image; refused ones try the shared one, which stays as it was. */
const patch =
  (target: Target): Probe =>
  async (cell) => {
    const image = cell.allowed ? await newImage(target, cell.label) : targetImage(target);
    const title = `title by ${cell.label}`;
    return {
      method: "PATCH",
      path: `/v1/images/${image.id}`,
      body: { title },
      after: async (response) => {
        const row = await imageRow(image.id);
        if (cell.allowed) {
          expect(await json(response)).toMatchObject({ id: image.id, title });
          expect(await json(await ownerReads(`/v1/images/${image.id}`))).toMatchObject({ title });
        } else {
          expect(row).toMatchObject({ title: null, deleted_at: null });
        }
      },
    };
  };

const remove =
  (target: Target): Probe =>
  async (cell) => {
    const image = cell.allowed ? await newImage(target, cell.label) : targetImage(target);
    return {
      method: "DELETE",
      path: `/v1/images/${image.id}`,
      after: async () => {
        const stillThere = await ownerReads(`/v1/images/${image.id}`);
        expect(stillThere.status).toBe(cell.allowed ? 404 : 200);
        expect((await imageRow(image.id))?.deleted_at === null).toBe(!cell.allowed);
      },
    };
  };

/** Restores need a deleted image: a fresh one per allowed cell, one shared by the refusals. */
const sharedDeleted: Partial<Record<Target, Promise<Image>>> = {};
const restore =
  (target: Target): Probe =>
  async (cell) => {
    sharedDeleted[target] ??= newDeletedImage(target, "refusals");
    const image = cell.allowed ? await newDeletedImage(target, cell.label) : await sharedDeleted[target];
    return {
      method: "POST",
      path: `/v1/images/${image.id}/restore`,
      after: async (response) => {
        if (cell.allowed) expect(await json(response)).toMatchObject({ id: image.id });
        expect((await ownerReads(`/v1/images/${image.id}`)).status).toBe(cell.allowed ? 200 : 404);
      },
    };
  };

const comment =
  (target: Target): Probe =>
  (cell) => {
    const image = targetImage(target);
    const body = `comment by ${cell.label}`;
    return {
      method: "POST",
      path: `/v1/images/${image.id}/comments`,
      body: { body },
      after: async (response) => {
        if (cell.allowed) expect(await json(response)).toMatchObject({ imageId: image.id, authorId: cell.actor?.id });
        expect(await scalar("SELECT count(*) AS value FROM comments WHERE body = ?", body)).toBe(cell.allowed ? 1 : 0);
      },
    };
  };

/** Generation: an allowed caller's image is theirs (and T's when asked); a refusal stores nothing. */
const generate =
  (intoTeam: boolean): Probe =>
  (cell): CellRequest => {
    const prompt = `generated by ${cell.label}`;
    return {
      method: "POST",
      path: "/v1/images/generations",
      body: { prompt, size: "256x256", ...(intoTeam ? { teamId: world().teamId } : {}) },
      after: async (response) => {
        if (cell.allowed) {
          expect(await json(response)).toMatchObject({
            ownerId: cell.actor?.id,
            teamId: intoTeam ? world().teamId : null,
          });
        }
        expect(await scalar("SELECT count(*) AS value FROM images WHERE prompt = ?", prompt)).toBe(
          cell.allowed ? 1 : 0,
        );
      },
    };
  };

/** Lists: the caller's own images without `teamId`, T's with it; never the other kind. */
const list =
  (teamFilter: boolean): Probe =>
  (cell: Cell) => ({
    method: "GET",
    path: teamFilter ? `/v1/images?teamId=${world().teamId}` : "/v1/images",
    after: async (response) => {
      if (!response.ok) return;
      const ids = (await json<{ data: { id: string }[] }>(response)).data.map((image) => image.id);
      if (teamFilter) {
        expect(ids).toContain(teamImage.id);
        expect(ids).not.toContain(personalImage.id);
      } else {
        expect(ids).not.toContain(teamImage.id);
        if (cell.actor?.id === world().owner.id) expect(ids).toContain(personalImage.id);
        else expect(ids).not.toContain(personalImage.id);
      }
    },
  });

describeAccessMatrix("images", world, {
  "POST /v1/images/generations [no teamId]": generate(false),
  "POST /v1/images/generations [teamId=T]": generate(true),
  "GET /v1/images [no teamId]": list(false),
  "GET /v1/images [teamId=T]": list(true),
  "GET /v1/images/{id} [T's image]": read("team", ""),
  "GET /v1/images/{id} [owner's personal image]": read("personal", ""),
  "GET /v1/images/{id}/content [T's image]": read("team", "/content"),
  "GET /v1/images/{id}/content [owner's personal image]": read("personal", "/content"),
  "PATCH /v1/images/{id} [T's image]": patch("team"),
  "PATCH /v1/images/{id} [owner's personal image]": patch("personal"),
  "DELETE /v1/images/{id} [T's image]": remove("team"),
  "DELETE /v1/images/{id} [owner's personal image]": remove("personal"),
  "POST /v1/images/{id}/restore [T's image]": restore("team"),
  "POST /v1/images/{id}/restore [owner's personal image]": restore("personal"),
  "GET /v1/images/{id}/comments [T's image]": read("team", "/comments"),
  "GET /v1/images/{id}/comments [owner's personal image]": read("personal", "/comments"),
  "POST /v1/images/{id}/comments [T's image]": comment("team"),
  "POST /v1/images/{id}/comments [owner's personal image]": comment("personal"),
});
