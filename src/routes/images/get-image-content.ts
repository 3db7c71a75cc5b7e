import { createRoute } from "@hono/zod-openapi";
import { sessionOrKey } from "../../auth/access";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { authorizedImage } from "./authorized-image";
import { imageIdParams } from "./image-view";

export const getImageContent = defineEndpoint({
  access: sessionOrKey("read", "view"),
  route: createRoute({
    method: "get",
    operationId: "getImageContent",
    path: "/v1/images/{id}/content",
    tags: ["images"],
    summary: "The image's bytes, streamed from storage",
    request: { params: imageIdParams },
    responses: {
      200: {
        description: "The image",
        content: {
          "image/png": { schema: { type: "string", format: "binary" } },
          "image/jpeg": { schema: { type: "string", format: "binary" } },
        },
      },
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const image = await authorizedImage(c, c.req.valid("param").id);
    const object = await c.env.IMAGES.get(image.r2Key);
    if (!object) throw new ApiError("not_found");
    const extension = image.contentType === "image/jpeg" ? "jpg" : "png";
    // The type comes from our own row, never from the stored object, and nosniff is global.
    return c.body(object.body, 200, {
      "Content-Type": image.contentType,
      "Content-Length": String(object.size),
      "Content-Disposition": `inline; filename="${image.id}.${extension}"`,
    });
  },
});
