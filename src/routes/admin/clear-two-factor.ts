import { createRoute } from "@hono/zod-openapi";
import { operatorOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { disableMfa } from "../../db/mfa";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { twoFactorDisabledMail } from "../../services/mail-templates";
import { mailerFor } from "../../services/mailer";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { adminUserParams } from "./patch-user";

export const adminClearTwoFactor = defineEndpoint({
  access: operatorOnly,
  route: createRoute({
    method: "delete",
    operationId: "adminClearTwoFactor",
    path: "/v1/admin/users/{id}/2fa",
    tags: ["operator"],
    summary: "Turn a user's 2FA off after the operator verified the owner out of band (audited, owner mailed)",
    request: { params: adminUserParams },
    responses: {
      204: { description: "Turned off" },
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const user = await findUserById(db, c.req.valid("param").id);
    if (!user) throw new ApiError("not_found");
    await disableMfa(
      db,
      user.id,
      auditEventInsert(db, auditContext(c), { type: "mfa.disabled", userId: user.id, metadata: { by: "operator" } }),
    );
    await mailerFor(c).send(twoFactorDisabledMail(user.email));
    return c.body(null, 204);
  },
});
