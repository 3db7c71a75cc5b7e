import { createRoute } from "@hono/zod-openapi";
import { sessionOrKey } from "../../auth/access";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";
import { authorizedImage } from "./authorized-image";
import { imageIdParams, imageSchema, imageView } from "./image-view";

export const getImage = defineEndpoint({
  access: sessionOrKey("read", "view"),
  route: createRoute({
    method: "get",
    operationId: "getImage",
    path: "/v1/images/{id}",
    tags: ["images"],
    summary: "One image's metadata",
    request: { params: imageIdParams },
    responses: {
      200: jsonResponse("The image", imageSchema),
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found (also another tenant's image, or a deleted one)"),
    },
  }),
  handler: async (c) => {
    const image = await authorizedImage(c, c.req.valid("param").id);
    return c.json(imageView(image), 200);
  },
});
