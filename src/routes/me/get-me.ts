import { createRoute } from "@hono/zod-openapi";
import { sessionOnly } from "../../auth/access";
import { principalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { findUserById, publicUser } from "../../db/users";
import { ApiError } from "../../errors";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse, userSchema } from "../schemas";

export const getMe = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    path: "/v1/me",
    tags: ["account"],
    summary: "The signed-in user",
    responses: {
      200: jsonResponse("The user", userSchema),
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const user = await findUserById(database(c.env.DB), principalOf(c).userId);
    if (!user) throw new ApiError("not_found");
    return c.json(publicUser(user), 200);
  },
});
