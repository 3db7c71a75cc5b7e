import { createRoute } from "@hono/zod-openapi";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { updateImage } from "../../db/images";
import { principalOf } from "../../middleware/authenticate";
import { sessionOrKey } from "../access";
import { auditContext } from "../audit-context";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { authorizedImage } from "./authorized-image";
import { imageIdParams } from "./image-view";

export const deleteImage = defineEndpoint({
  access: sessionOrKey("manage", "edit"),
  route: createRoute({
    method: "delete",
    path: "/v1/images/{id}",
    tags: ["images"],
    summary: "Soft-delete an image: hidden at once, restorable for 30 days",
    request: { params: imageIdParams },
    responses: {
      204: { description: "Deleted" },
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const principal = principalOf(c);
    const image = await authorizedImage(c, c.req.valid("param").id);
    await updateImage(db, image.id, { deletedAt: new Date() });
    await recordAuditEvent(db, auditContext(c), {
      type: "image.deleted",
      userId: principal.userId,
      teamId: image.teamId,
      metadata: { imageId: image.id },
    });
    return c.body(null, 204);
  },
});
