import type { Context } from "hono";
import { principalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { findVisibleImage } from "../../db/images";
import type { Image } from "../../db/schema";
import type { AppEnv } from "../../env";
import { ApiError } from "../../errors";
import { authorizeOwner } from "../authorize";

/**
 * The live image `imageId` if the caller may act on it with the route's declared action:
 * found through the tenant filter (else 404, whoever owns it), then checked against the
 * caller's team role (403 for a member without the permission).
 */
export async function authorizedImage(c: Context<AppEnv>, imageId: string): Promise<Image> {
  const image = await findVisibleImage(database(c.env.DB), principalOf(c).userId, imageId);
  if (!image) throw new ApiError("not_found");
  await authorizeOwner(c, image);
  return image;
}
