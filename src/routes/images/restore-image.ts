import { createRoute } from "@hono/zod-openapi";
import { sessionOrKey } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { principalOf } from "../../auth/principal";
import { auditEventInsert } from "../../db/audit";
import { database } from "../../db/client";
import { findRestorableImage, updateImage } from "../../db/images";
import { ApiError } from "../../errors";
import { authorizeOwner } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";
import { imageIdParams, imageSchema, imageView } from "./image-view";

export const restoreImage = defineEndpoint({
  access: sessionOrKey("manage", "edit"),
  route: createRoute({
    method: "post",
    operationId: "restoreImage",
    path: "/v1/images/{id}/restore",
    tags: ["images"],
    summary: "Restore a soft-deleted image (within 30 days)",
    request: { params: imageIdParams },
    responses: {
      200: jsonResponse("The restored image", imageSchema),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found (also: not deleted, past 30 days, or another tenant's)"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const principal = principalOf(c);
    const image = await findRestorableImage(db, principal.userId, c.req.valid("param").id, new Date());
    if (!image) throw new ApiError("not_found");
    await authorizeOwner(c, image);
    const restored = await updateImage(
      db,
      image.id,
      { deletedAt: null },
      auditEventInsert(db, auditContext(c), {
        type: "image.restored",
        userId: principal.userId,
        teamId: image.teamId,
        metadata: { imageId: image.id },
      }),
    );
    if (!restored) throw new ApiError("not_found");
    return c.json(imageView(restored), 200);
  },
});
