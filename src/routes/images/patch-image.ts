import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOrKey } from "../../auth/access";
import { database } from "../../db/client";
import { updateImage } from "../../db/images";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, plainText, problemResponse } from "../schemas";
import { authorizedImage } from "./authorized-image";
import { imageIdParams, imageSchema, imageView } from "./image-view";

export const patchImageBodySchema = z.strictObject({
  title: plainText({ max: 200 }).nullable().optional(),
  prompt: plainText({ max: 1000 }).optional(),
});

export const patchImage = defineEndpoint({
  access: sessionOrKey("manage", "edit"),
  route: createRoute({
    method: "patch",
    operationId: "updateImage",
    path: "/v1/images/{id}",
    tags: ["images"],
    summary: "Change an image's title or stored prompt",
    request: { params: imageIdParams, body: jsonBody(patchImageBodySchema) },
    responses: {
      200: jsonResponse("The image", imageSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const db = database(c.env.DB);
    const image = await authorizedImage(c, c.req.valid("param").id);
    const updated = await updateImage(db, image.id, c.req.valid("json"));
    if (!updated) throw new ApiError("not_found");
    return c.json(imageView(updated), 200);
  },
});
