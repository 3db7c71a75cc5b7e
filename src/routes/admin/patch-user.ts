import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { operatorOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { database } from "../../db/client";
import { findUserById, publicUser, updateUserPlan } from "../../db/users";
import { plans, requestsPerMinute } from "../../domain/plans";
import { ApiError } from "../../errors";
import { withUserGuard } from "../../services/guard-client";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse, userSchema } from "../schemas";

export const adminUserParams = z.strictObject({ id: z.string().max(100) });

export const adminUserSchema = userSchema
  .extend({ rateLimitPerMinute: z.int().nullable(), effectiveRateLimitPerMinute: z.int() })
  .meta({ id: "AdminUser" });

export const patchUserBodySchema = z.strictObject({
  plan: z.enum(plans).optional(),
  rateLimitPerMinute: z.int().min(1).max(100_000).nullable().optional(),
});

export const adminPatchUser = defineEndpoint({
  access: operatorOnly,
  route: createRoute({
    method: "patch",
    operationId: "adminUpdateUser",
    path: "/v1/admin/users/{id}",
    tags: ["operator"],
    summary: "Set a user's plan and custom limit (enterprise); effective on the next request",
    request: { params: adminUserParams, body: jsonBody(patchUserBodySchema) },
    responses: {
      200: jsonResponse("The user", adminUserSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const user = await findUserById(db, c.req.valid("param").id);
    if (!user) throw new ApiError("not_found");
    const body = c.req.valid("json");
    const plan = body.plan ?? user.plan;
    const custom = body.rateLimitPerMinute === undefined ? user.rateLimitPerMinute : body.rateLimitPerMinute;
    const limit = requestsPerMinute(plan, custom);
    // The user's guard first: it is what the next request asks.
    await withUserGuard(c.env, user.id, (guard) => guard.setRequestLimit(limit));
    const updated = await updateUserPlan(
      db,
      user.id,
      { plan, rateLimitPerMinute: custom },
      {
        context: auditContext(c),
        event: {
          type: "admin.user_updated",
          userId: user.id,
          metadata: { by: "operator", plan, rateLimitPerMinute: custom, effectiveRateLimitPerMinute: limit },
        },
      },
    );
    if (!updated) throw new ApiError("not_found");
    return c.json(
      { ...publicUser(updated), rateLimitPerMinute: updated.rateLimitPerMinute, effectiveRateLimitPerMinute: limit },
      200,
    );
  },
});
