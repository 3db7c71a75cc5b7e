import * as z from "zod";
import type { UserIdentity } from "../../../db/schema";

export const identitySchema = z
  .object({ id: z.string(), provider: z.string(), email: z.string().nullable(), createdAt: z.iso.datetime() })
  .meta({ id: "Identity" });

export const identityIdParams = z.strictObject({ id: z.string().max(100) });

/** Never the provider's subject id: the console needs the provider and the address only. */
export function identityView(identity: UserIdentity) {
  return {
    id: identity.id,
    provider: identity.provider,
    email: identity.email,
    createdAt: identity.createdAt.toISOString(),
  };
}
