// Property fuzzing of the content routes (issue 9 item 2): images, their comments, collections.
// OWASP API Security Top 10 2023: API8 (security misconfiguration: no 5xx, no stack trace or SQL
// in errors), API3 (broken object property level authorization: unknown fields such as ownerId
// refused, stored text returned exactly and never interpreted), API1 (broken object level
// authorization: hostile and foreign ids find nothing), API4 (unrestricted resource consumption:
// oversized and deeply nested bodies, out-of-range limits refused).
// ASVS 5.0: V1.2 (injection prevention: SQL, markup and template text stored inertly), V1.3
// (sanitization), V1.5 (safe deserialization: deep nesting, prototype keys), V2.2 (input
// validation: type, length, format, allowlists), V4.1 (web service: JSON media type and body
// size only), V16.5 (error handling: generic messages, no internals).
import fc from "fast-check";
import { beforeAll, expect } from "vitest";
import { api, type RegisteredUser } from "../helpers/api";
import { createCollection, createImage, createTeam } from "../helpers/fixtures";
import { type CheckContext, describeFuzz, echoed, fuzzUser, readBack, trimmed, unlessFuzzed } from "../helpers/fuzz";

let owner: RegisteredUser;
let teamId: string;
let imageId: string;
let collectionId: string;
/** Another tenant's objects: a hostile id may name them, and must find nothing. */
let foreign: { imageId: string; collectionId: string; teamId: string };
let cursors: { images: string; collections: string; comments: string };

async function nextCursor(path: string): Promise<string> {
  const response = await api("GET", path, { token: owner.token });
  const { nextCursor: cursor } = (await response.json()) as { nextCursor: string | null };
  expect(cursor, path).toBeTruthy();
  return cursor as string;
}

beforeAll(async () => {
  const [first, stranger] = await Promise.all([fuzzUser(), fuzzUser()]);
  owner = first;
  teamId = (await createTeam(owner.token)).id;
  imageId = (await createImage(owner.token)).id;
  await Promise.all([createImage(owner.token), createImage(owner.token, { teamId })]);
  collectionId = (await createCollection(owner.token)).id;
  await Promise.all([createCollection(owner.token), createCollection(owner.token, { teamId })]);
  for (const body of ["first", "second"]) {
    const comment = await api("POST", `/v1/images/${imageId}/comments`, { token: owner.token, body: { body } });
    expect(comment.status).toBe(201);
  }
  foreign = {
    imageId: (await createImage(stranger.token)).id,
    collectionId: (await createCollection(stranger.token)).id,
    teamId: (await createTeam(stranger.token)).id,
  };
  cursors = {
    images: await nextCursor("/v1/images?limit=1"),
    collections: await nextCursor("/v1/collections?limit=1"),
    comments: await nextCursor(`/v1/images/${imageId}/comments?limit=1`),
  };
});

const ids = (own: () => string, other: () => string) => () => fc.constantFrom(own(), other(), `${own()}x`);
const teamIds = ids(
  () => teamId,
  () => foreign.teamId,
);

const image = async (context: CheckContext, id: string) => readBack(context, `/v1/images/${id}`, owner.token);
const collection = async (context: CheckContext, id: string) => readBack(context, `/v1/collections/${id}`, owner.token);

async function commentBody(context: CheckContext, id: string) {
  const { data } = (await readBack(context, `/v1/images/${imageId}/comments?limit=100`, owner.token)) as {
    data: { id: string; body: string }[];
  };
  return data.find((comment) => comment.id === id)?.body;
}

async function deletedImage(): Promise<string> {
  const { id } = await createImage(owner.token);
  expect((await api("DELETE", `/v1/images/${id}`, { token: owner.token })).status).toBe(204);
  return id;
}

describeFuzz("content", {
  "POST /v1/images/generations": {
    base: () => ({ token: owner.token, body: { prompt: "a lighthouse at dusk", size: "256x256" } }),
    values: { teamId: teamIds },
    stored: {
      prompt: echoed((json) => json.prompt, {
        again: async (json, context) => (await image(context, json.id as string)).prompt,
      }),
      size: echoed((json) => json.size),
      teamId: echoed((json) => json.teamId, {
        again: async (json, context) => (await image(context, json.id as string)).teamId,
      }),
    },
  },
  "GET /v1/images": {
    base: () => ({ token: owner.token, query: { limit: "5" } }),
    values: { teamId: teamIds, cursor: () => fc.constant(cursors.images) },
  },
  "GET /v1/images/{id}": {
    base: () => ({ token: owner.token, params: { id: imageId } }),
    values: {
      id: ids(
        () => imageId,
        () => foreign.imageId,
      ),
    },
  },
  "GET /v1/images/{id}/content": {
    base: () => ({ token: owner.token, params: { id: imageId } }),
    values: {
      id: ids(
        () => imageId,
        () => foreign.imageId,
      ),
    },
  },
  "PATCH /v1/images/{id}": {
    base: () => ({ token: owner.token, params: { id: imageId }, body: { title: "Title", prompt: "a lighthouse" } }),
    values: {
      id: ids(
        () => imageId,
        () => foreign.imageId,
      ),
    },
    stored: {
      title: echoed((json) => json.title, {
        again: async (json, context) => (await image(context, json.id as string)).title,
      }),
      prompt: echoed((json) => json.prompt, {
        again: async (json, context) => (await image(context, json.id as string)).prompt,
      }),
    },
  },
  "DELETE /v1/images/{id}": {
    runs: 4,
    base: async (input) => ({
      token: owner.token,
      params: { id: await unlessFuzzed(input, "id", async () => (await createImage(owner.token)).id) },
    }),
    values: { id: () => fc.constant(foreign.imageId) },
  },
  "POST /v1/images/{id}/restore": {
    runs: 4,
    base: async (input) => ({ token: owner.token, params: { id: await unlessFuzzed(input, "id", deletedImage) } }),
    values: { id: () => fc.constant(foreign.imageId) },
  },
  "GET /v1/images/{id}/comments": {
    base: () => ({ token: owner.token, params: { id: imageId }, query: { limit: "1" } }),
    values: {
      id: ids(
        () => imageId,
        () => foreign.imageId,
      ),
      cursor: () => fc.constant(cursors.comments),
    },
  },
  "POST /v1/images/{id}/comments": {
    base: () => ({ token: owner.token, params: { id: imageId }, body: { body: "nice" } }),
    values: {
      id: ids(
        () => imageId,
        () => foreign.imageId,
      ),
    },
    stored: {
      body: echoed((json) => json.body, { again: (json, context) => commentBody(context, json.id as string) }),
    },
  },
  "POST /v1/collections": {
    base: () => ({ token: owner.token, body: { name: "Favourites" } }),
    values: { teamId: teamIds },
    stored: {
      name: echoed((json) => json.name, {
        normalise: trimmed,
        again: async (json, context) => (await collection(context, json.id as string)).name,
      }),
      teamId: echoed((json) => json.teamId, {
        again: async (json, context) => (await collection(context, json.id as string)).teamId,
      }),
    },
  },
  "GET /v1/collections": {
    base: () => ({ token: owner.token, query: { limit: "5" } }),
    values: { teamId: teamIds, cursor: () => fc.constant(cursors.collections) },
  },
  "GET /v1/collections/{id}": {
    base: () => ({ token: owner.token, params: { id: collectionId } }),
    values: {
      id: ids(
        () => collectionId,
        () => foreign.collectionId,
      ),
    },
  },
  "PATCH /v1/collections/{id}": {
    base: () => ({ token: owner.token, params: { id: collectionId }, body: { name: "Renamed" } }),
    values: {
      id: ids(
        () => collectionId,
        () => foreign.collectionId,
      ),
    },
    stored: {
      name: echoed((json) => json.name, {
        normalise: trimmed,
        again: async (json, context) => (await collection(context, json.id as string)).name,
      }),
    },
  },
  "DELETE /v1/collections/{id}": {
    runs: 4,
    base: async (input) => ({
      token: owner.token,
      params: { id: await unlessFuzzed(input, "id", async () => (await createCollection(owner.token)).id) },
    }),
    values: { id: () => fc.constant(foreign.collectionId) },
  },
  "PUT /v1/collections/{id}/images/{imageId}": {
    base: () => ({ token: owner.token, params: { id: collectionId, imageId } }),
    values: {
      id: ids(
        () => collectionId,
        () => foreign.collectionId,
      ),
      imageId: ids(
        () => imageId,
        () => foreign.imageId,
      ),
    },
  },
  "DELETE /v1/collections/{id}/images/{imageId}": {
    base: () => ({ token: owner.token, params: { id: collectionId, imageId } }),
    values: {
      id: ids(
        () => collectionId,
        () => foreign.collectionId,
      ),
      imageId: ids(
        () => imageId,
        () => foreign.imageId,
      ),
    },
  },
});
