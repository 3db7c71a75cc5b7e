import type { Context } from "hono";
import { principalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { findVisibleCollection } from "../../db/collections";
import type { Collection } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { authorizeOwner } from "../authorize";

/** The collection if the caller may act on it: tenant filter first (404), then team role (403). */
export async function authorizedCollection(c: Context<AppEnv>, collectionId: string): Promise<Collection> {
  const collection = await findVisibleCollection(database(c.env.DB), principalOf(c).userId, collectionId);
  if (!collection) throw new ApiError("not_found");
  await authorizeOwner(c, collection);
  return collection;
}
