import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { sessionOnly } from "../../../auth/access";
import { sessionPrincipalOf } from "../../../auth/principal";
import { ApiError } from "../../../errors";
import { startFlow } from "../../../services/oauth/flow";
import { ProviderFailure } from "../../../services/oauth/provider";
import { requireProvider } from "../../../services/oauth/provider-registry";
import { defineEndpoint } from "../../endpoint";
import { providerParams } from "../../oauth/provider-params";
import { jsonResponse, problemResponse } from "../../schemas";

/** The console page that lists linked sign-in methods: a link flow comes back to it. */
export const SIGN_IN_METHODS_PAGE = "/console/sign-in-methods";

export const linkIdentity = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "linkIdentity",
    path: "/v1/me/identities/{provider}/link",
    tags: ["account"],
    summary: "Start linking a provider account to the caller: `{url}` to open in the browser",
    description:
      "The flow remembers the caller, and its callback links the provider account to THIS user (or fails with " +
      "`identity_taken` when it belongs to another). Sets the `__Host-imagebot_oauth` cookie that binds the " +
      "flow to this browser; the callback returns to the console's sign-in methods page.",
    request: { params: providerParams },
    responses: {
      200: jsonResponse("Open `url` (the provider's authorization page)", z.object({ url: z.url() })),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden, or csrf_failed"),
      404: problemResponse("not_found (no such provider, or it has no settings)"),
      503: problemResponse("unavailable (the provider's discovery document could not be read)"),
    },
  }),
  handler: async (c) => {
    const provider = requireProvider(c.get("config"), c.req.valid("param").provider);
    const { userId } = sessionPrincipalOf(c);
    c.header("Cache-Control", "no-store");
    try {
      const url = await startFlow(c, provider, { returnTo: SIGN_IN_METHODS_PAGE, linkUserId: userId });
      return c.json({ url: url.toString() }, 200);
    } catch (error) {
      if (error instanceof ProviderFailure)
        throw new ApiError("unavailable", { detail: "The provider is unreachable." });
      throw error;
    }
  },
});
