import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { operatorOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { unblockTarget } from "../../services/ip-blocks";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { ipSchema, isSingleAddress } from "./ip-address";

export const adminDeleteIpBlock = defineEndpoint({
  access: operatorOnly,
  route: createRoute({
    method: "delete",
    operationId: "adminDeleteIpBlock",
    path: "/v1/admin/ip-blocks/{ip}",
    tags: ["operator"],
    summary: "Lift a block",
    request: { params: z.strictObject({ ip: ipSchema }) },
    responses: {
      204: { description: "Unblocked" },
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
    },
  }),
  handler: async (c) => {
    const { ip } = c.req.valid("param");
    const wasBlocked = await unblockTarget(c, ip, isSingleAddress(ip));
    await recordAuditEvent(database(c.env.DB), auditContext(c), {
      type: "admin.ip_unblocked",
      metadata: { by: "operator", blockedIp: ip, wasBlocked },
    });
    return c.body(null, 204);
  },
});
