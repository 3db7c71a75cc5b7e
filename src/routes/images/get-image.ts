import { createRoute } from "@hono/zod-openapi";
import { database } from "../../db/client";
import { findVisibleImage } from "../../db/images";
import { ApiError } from "../../errors";
import { principalOf } from "../../middleware/authenticate";
import { sessionOrKey } from "../access";
import { authorizeOwner } from "../authorize";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";
import { imageIdParams, imageSchema, imageView } from "./image-view";

export const getImage = defineEndpoint({
  access: sessionOrKey("read", "view"),
  route: createRoute({
    method: "get",
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
    const image = await findVisibleImage(database(c.env.DB), principalOf(c).userId, c.req.valid("param").id);
    if (!image) throw new ApiError("not_found");
    await authorizeOwner(c, image);
    return c.json(imageView(image), 200);
  },
});
