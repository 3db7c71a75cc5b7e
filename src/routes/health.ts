import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { unmeteredPublic } from "../auth/access";
import { defineEndpoint } from "./endpoint";
import { jsonResponse } from "./schemas";

export const healthResponseSchema = z.object({ status: z.literal("ok") });

export const health = defineEndpoint({
  access: unmeteredPublic,
  route: createRoute({
    method: "get",
    operationId: "getHealth",
    path: "/health",
    tags: ["service"],
    summary: "Liveness check (no auth, not rate limited)",
    responses: { 200: jsonResponse("The service is up", healthResponseSchema) },
  }),
  handler: (c) => c.json({ status: "ok" as const }, 200),
});
