// OWASP API1:2023 (broken object level authorization), API5:2023 (broken function level
// authorization); ASVS 5.0 V8.1.1 (the rules are written down: test/helpers/access-matrix-table.ts),
// V8.2.1 (function-level access), V8.2.2 (data-specific access: IDOR/BOLA), V8.3.1 (enforced
// server-side), V8.4.1 (cross-tenant isolation). The collection rows of the access matrix: every
// collection route × every kind of caller, as real requests; refusals leave the collection as it was.
import { beforeAll, expect } from "vitest";
import { describeAccessMatrix, json, once, type Probe, scalar, useWorld } from "../helpers/access-matrix";
import { api } from "../helpers/api";
import { createCollection, createImage } from "../helpers/fixtures";

const world = useWorld();

type Target = "team" | "personal";
interface Pair {
  collectionId: string;
  imageId: string;
}

/** T's and the owner's own: an image and a collection holding it, for the reads. */
const shared: Partial<Record<Target, Pair>> = {};

/** A new collection of the owner (in T, or personal), holding `imageId` when given. */
async function newCollection(target: Target, name: string, imageId?: string) {
  const { owner, teamId } = world();
  const { id } = await createCollection(owner.token, { name, ...(target === "team" ? { teamId } : {}) });
  if (imageId) {
    const added = await api("PUT", `/v1/collections/${id}/images/${imageId}`, { token: owner.token });
    expect(added.status).toBe(204);
  }
  return id;
}

beforeAll(async () => {
  const { owner, teamId } = world();
  for (const target of ["team", "personal"] as const) {
    const imageId = (await createImage(owner.token, target === "team" ? { teamId } : {})).id;
    shared[target] = { imageId, collectionId: await newCollection(target, `${target} collection`, imageId) };
  }
});

const pair = (target: Target): Pair => {
  const found = shared[target];
  if (!found) throw new Error("created in beforeAll");
  return found;
};

const ownerReadsCollection = async (id: string) => {
  const response = await api("GET", `/v1/collections/${id}`, { token: world().owner.token });
  return {
    status: response.status,
    body: response.ok ? await json<{ name: string; imageIds: string[] }>(response) : null,
  };
};

const create =
  (intoTeam: boolean): Probe =>
  (cell) => {
    const name = `created by ${cell.label}`;
    return {
      method: "POST",
      path: "/v1/collections",
      body: { name, ...(intoTeam ? { teamId: world().teamId } : {}) },
      after: async (response) => {
        if (cell.allowed) {
          expect(await json(response)).toMatchObject({
            ownerId: cell.actor?.id,
            teamId: intoTeam ? world().teamId : null,
          });
        }
        expect(await scalar("SELECT count(*) AS value FROM collections WHERE name = ?", name)).toBe(
          cell.allowed ? 1 : 0,
        );
      },
    };
  };

const list =
  (teamFilter: boolean): Probe =>
  (cell) => ({
    method: "GET",
    path: teamFilter ? `/v1/collections?teamId=${world().teamId}` : "/v1/collections",
    after: async (response) => {
      if (!response.ok) return;
      const ids = (await json<{ data: { id: string }[] }>(response)).data.map((collection) => collection.id);
      const ownerItself = cell.actor?.id === world().owner.id;
      if (teamFilter) {
        expect(ids).toContain(pair("team").collectionId);
        expect(ids).not.toContain(pair("personal").collectionId);
      } else {
        expect(ids).not.toContain(pair("team").collectionId);
        if (ownerItself) expect(ids).toContain(pair("personal").collectionId);
        else expect(ids).not.toContain(pair("personal").collectionId);
      }
    },
  });

const read =
  (target: Target): Probe =>
  () => {
    const { collectionId, imageId } = pair(target);
    return {
      method: "GET",
      path: `/v1/collections/${collectionId}`,
      after: async (response) => {
        if (response.ok) expect(await json(response)).toMatchObject({ id: collectionId, imageIds: [imageId] });
      },
    };
  };

function rename(target: Target): Probe {
  const refused = once(() => newCollection(target, "never renamed"));
  return async (cell) => {
    const id = cell.allowed ? await newCollection(target, "to be renamed") : await refused();
    const name = `renamed by ${cell.label}`;
    return {
      method: "PATCH",
      path: `/v1/collections/${id}`,
      body: { name },
      after: async () => {
        expect((await ownerReadsCollection(id)).body?.name).toBe(cell.allowed ? name : "never renamed");
      },
    };
  };
}

function remove(target: Target): Probe {
  const refused = once(() => newCollection(target, "never deleted"));
  return async (cell) => {
    const id = cell.allowed ? await newCollection(target, "to be deleted") : await refused();
    return {
      method: "DELETE",
      path: `/v1/collections/${id}`,
      after: async () => {
        expect((await ownerReadsCollection(id)).status).toBe(cell.allowed ? 404 : 200);
      },
    };
  };
}

/** PUT adds the image to an empty collection; DELETE removes it from one holding it. */
function membership(target: Target, method: "PUT" | "DELETE"): Probe {
  const holdsBefore = method === "DELETE";
  const make = () => newCollection(target, "membership", holdsBefore ? pair(target).imageId : undefined);
  const refused = once(make);
  return async (cell) => {
    const id = cell.allowed ? await make() : await refused();
    const { imageId } = pair(target);
    return {
      method,
      path: `/v1/collections/${id}/images/${imageId}`,
      after: async () => {
        const holdsAfter = cell.allowed ? !holdsBefore : holdsBefore;
        expect((await ownerReadsCollection(id)).body?.imageIds).toEqual(holdsAfter ? [imageId] : []);
      },
    };
  };
}

describeAccessMatrix("collections", world, {
  "POST /v1/collections [no teamId]": create(false),
  "POST /v1/collections [teamId=T]": create(true),
  "GET /v1/collections [no teamId]": list(false),
  "GET /v1/collections [teamId=T]": list(true),
  "GET /v1/collections/{id} [T's collection]": read("team"),
  "GET /v1/collections/{id} [owner's personal collection]": read("personal"),
  "PATCH /v1/collections/{id} [T's collection]": rename("team"),
  "PATCH /v1/collections/{id} [owner's personal collection]": rename("personal"),
  "DELETE /v1/collections/{id} [T's collection]": remove("team"),
  "DELETE /v1/collections/{id} [owner's personal collection]": remove("personal"),
  "PUT /v1/collections/{id}/images/{imageId} [T's]": membership("team", "PUT"),
  "PUT /v1/collections/{id}/images/{imageId} [owner's personal]": membership("personal", "PUT"),
  "DELETE /v1/collections/{id}/images/{imageId} [T's]": membership("team", "DELETE"),
  "DELETE /v1/collections/{id}/images/{imageId} [owner's personal]": membership("personal", "DELETE"),
});
