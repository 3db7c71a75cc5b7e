import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { principalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { findUserById, publicUser } from "../../db/users";
import { ApiError } from "../../errors";
import { isTwoFactorEnabled } from "../auth/second-factor";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse, userSchema } from "../schemas";

export const getMe = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    operationId: "getMe",
    path: "/v1/me",
    tags: ["account"],
    summary: "The signed-in user",
    responses: {
      200: jsonResponse(
        "The user",
        userSchema.extend({ twoFactorEnabled: z.boolean().describe("Whether sign-in asks for a TOTP code") }),
      ),
      401: problemResponse("unauthorized"),
      404: problemResponse("not_found"),
    },
  }),
  handler: async (c) => {
    const user = await findUserById(database(c.env.DB), principalOf(c).userId);
    if (!user) throw new ApiError("not_found");
    return c.json({ ...publicUser(user), twoFactorEnabled: await isTwoFactorEnabled(c, user.id) }, 200);
  },
});
