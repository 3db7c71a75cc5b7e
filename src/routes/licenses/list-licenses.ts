import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { database } from "../../db/client";
import { listLicenses } from "../../db/licenses";
import type { License } from "../../db/schema";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";

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
    path: "/v1/licenses",
    tags: ["billing"],
    summary: "The image licences the user bought, newest first",
    responses: {
      200: jsonResponse("Licences", z.object({ data: z.array(licenseSchema), nextCursor: z.null() })),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
    },
  }),
  handler: async (c) => {
    const licenses = await listLicenses(database(c.env.DB), sessionPrincipalOf(c).userId);
    return c.json({ data: licenses.map(licenseView), nextCursor: null }, 200);
  },
});
