import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { decodeCursor, toPage } from "../../db/cursor";
import { listLicenses } from "../../db/licenses";
import type { License } from "../../db/schema";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, paginationQuerySchema, problemResponse } from "../schemas";

export const licenseSchema = z
  .object({
    id: z.string(),
    imageId: z.string().nullable(),
    stripeCheckoutSessionId: z.string(),
    createdAt: z.iso.datetime(),
  })
  .meta({ id: "License" });

/** Stripe's checkout session id lets the buyer match a receipt; the payment intent stays internal. */
function licenseView(license: License) {
  return {
    id: license.id,
    imageId: license.imageId,
    stripeCheckoutSessionId: license.stripeCheckoutSessionId,
    createdAt: license.createdAt.toISOString(),
  };
}

export const listLicensesEndpoint = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "get",
    operationId: "listLicenses",
    path: "/v1/licenses",
    tags: ["billing"],
    summary: "The image licences the user bought, newest first",
    request: { query: paginationQuerySchema },
    responses: {
      200: jsonResponse(
        "A page of licences",
        z.object({ data: z.array(licenseSchema), nextCursor: z.string().nullable() }),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
    },
  }),
  handler: async (c) => {
    const { limit, cursor } = c.req.valid("query");
    const rows = await listLicenses(database(c.env.DB), sessionPrincipalOf(c).userId, {
      limit: limit + 1,
      after: decodeCursor(cursor),
    });
    const page = toPage(rows, limit);
    return c.json({ data: page.rows.map(licenseView), nextCursor: page.nextCursor }, 200);
  },
});
