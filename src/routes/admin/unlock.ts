import { createRoute } from "@hono/zod-openapi";
import { operatorOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { withAccountGuard } from "../../services/guard-client";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { adminUserParams } from "./patch-user";

export const adminUnlock = defineEndpoint({
  access: operatorOnly,
  route: createRoute({
    method: "post",
    operationId: "adminUnlockUser",
    path: "/v1/admin/users/{id}/unlock",
    tags: ["operator"],
    summary: "Clear an account lock and its failure count",
    request: { params: adminUserParams },
    responses: {
      204: { description: "Unlocked" },
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const user = await findUserById(db, c.req.valid("param").id);
    if (!user) throw new ApiError("not_found");
    const { wasLocked } = await withAccountGuard(c.env, user.email, (guard) => guard.clearLock());
    await recordAuditEvent(db, auditContext(c), {
      type: "auth.unlocked",
      userId: user.id,
      metadata: { by: "operator", wasLocked },
    });
    return c.body(null, 204);
  },
});
