import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { enabledProviders, providerIds } from "../../services/oauth/provider";
import { defineEndpoint } from "../endpoint";
import { jsonResponse } from "../schemas";

export const providerSchema = z.object({ id: z.enum(providerIds), name: z.string() }).meta({ id: "SignInProvider" });

export const listProviders = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "get",
    path: "/v1/auth/providers",
    tags: ["auth"],
    summary: "The sign-in providers this deployment has settings for (the console's buttons)",
    responses: { 200: jsonResponse("The enabled providers", z.object({ data: z.array(providerSchema) })) },
  }),
  handler: (c) => c.json({ data: enabledProviders(c.get("config")) }, 200),
});
