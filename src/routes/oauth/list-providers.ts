import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { ApiError } from "../../errors";
import { enabledProviders, providerIds } from "../../services/oauth/provider";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";

export const providerSchema = z.object({ id: z.enum(providerIds), name: z.string() }).meta({ id: "SignInProvider" });

export const listProviders = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "get",
    operationId: "listSignInProviders",
    path: "/v1/auth/providers",
    tags: ["auth"],
    summary: "The sign-in providers this deployment has settings for (the console's buttons)",
    description: 'At most three today; paginated like every list (API.md "General"): the cursor is the last id shown.',
    request: { query: paginationQuerySchema },
    responses: {
      200: jsonResponse(
        "The enabled providers",
        z.object({ data: z.array(providerSchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
    },
  }),
  handler: (c) => {
    const { limit, cursor } = c.req.valid("query");
    const enabled = enabledProviders(c.get("config"));
    const start = cursor === undefined ? 0 : enabled.findIndex((provider) => provider.id === cursor) + 1;
    if (start === 0 && cursor !== undefined) {
      throw new ApiError("validation_failed", { errors: [{ path: "cursor", message: "is not a valid cursor" }] });
    }
    const page = enabled.slice(start, start + limit);
    const more = start + limit < enabled.length;
    return c.json({ data: page, nextCursor: more ? (page.at(-1)?.id ?? null) : null }, 200);
  },
});
