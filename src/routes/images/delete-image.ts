import { createRoute } from "@hono/zod-openapi";
import { sessionOrKey } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { imageSoftDeleteUpdate } from "../../db/images";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { authorizedImage } from "./authorized-image";
import { imageIdParams } from "./image-view";

export const deleteImage = defineEndpoint({
  access: sessionOrKey("manage", "edit"),
  route: createRoute({
    method: "delete",
    operationId: "deleteImage",
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
    // The soft delete and its audit row together, or neither.
    await db.batch([
      imageSoftDeleteUpdate(db, image.id, new Date()),
      auditEventInsert(db, auditContext(c), {
        type: "image.deleted",
        userId: principal.userId,
        teamId: image.teamId,
        metadata: { imageId: image.id },
      }),
    ]);
    return c.body(null, 204);
  },
});
