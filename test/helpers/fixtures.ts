import { expect } from "vitest";
import { api, type RegisteredUser } from "./api";

export async function createImage(token: string, body: Record<string, unknown> = {}) {
  const response = await api("POST", "/v1/images/generations", {
    token,
    body: { prompt: "a lighthouse at dusk", size: "256x256", ...body },
  });
  expect(response.status).toBe(201);
  return (await response.json()) as {
    id: string;
    teamId: string | null;
    ownerId: string;
    prompt: string;
    title: string | null;
  };
}

export async function createCollection(token: string, body: Record<string, unknown> = {}) {
  const response = await api("POST", "/v1/collections", { token, body: { name: "Favourites", ...body } });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; teamId: string | null };
}

export async function createTeam(token: string, name = "Studio") {
  const response = await api("POST", "/v1/teams", { token, body: { name } });
  expect(response.status).toBe(201);
  return (await response.json()) as { id: string; role: string };
}

export interface OwnedObjects {
  imageId: string;
  collectionId: string;
  teamId: string;
}

const cache = new Map<string, Promise<OwnedObjects>>();

/** One image, collection and team owned by `user`, created once per user. */
export function ownedObjects(user: RegisteredUser): Promise<OwnedObjects> {
  let objects = cache.get(user.id);
  if (!objects) {
    objects = (async () => ({
      imageId: (await createImage(user.token)).id,
      collectionId: (await createCollection(user.token)).id,
      teamId: (await createTeam(user.token)).id,
    }))();
    cache.set(user.id, objects);
  }
  return objects;
}
