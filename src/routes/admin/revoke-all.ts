import { createRoute } from "@hono/zod-openapi";
import { operatorOnly } from "../../auth/access";
import { database } from "../../db/client";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { revokeEveryCredential } from "../../services/containment";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { adminUserParams } from "./patch-user";

export const adminRevokeAll = defineEndpoint({
  access: operatorOnly,
  route: createRoute({
    method: "post",
    operationId: "adminRevokeAllSessions",
    path: "/v1/admin/users/{id}/revoke-all",
    tags: ["operator"],
    summary: "Contain: every session and API key of the user dies on the next request",
    request: { params: adminUserParams },
    responses: {
      204: { description: "Revoked" },
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const user = await findUserById(database(c.env.DB), c.req.valid("param").id);
    if (!user) throw new ApiError("not_found");
    await revokeEveryCredential(c, user.id, {
      type: "admin.credentials_revoked",
      userId: user.id,
      metadata: { by: "operator" },
    });
    return c.body(null, 204);
  },
});
