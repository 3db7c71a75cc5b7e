import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { ApiError } from "../../errors";
import { startFlow } from "../../services/oauth/flow";
import { ProviderFailure } from "../../services/oauth/provider";
import { requireProvider } from "../../services/oauth/provider-registry";
import { DEFAULT_RETURN_TO, isSafeReturnTo } from "../../services/oauth/return-to";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { providerParams } from "./provider-params";
import { failureRedirect } from "./redirects";

// `returnTo` is checked in the handler, after the provider: a disabled provider is 404 whatever the query.
export const startOAuthQuerySchema = z.strictObject({
  returnTo: z.string().max(512).optional().describe("A path of this service's console (`/console…`)"),
});

/** The flow's landing page: a console path or 400 (API.md: never an open redirect). */
export function checkedReturnTo(value: string | undefined): string {
  if (value === undefined) return DEFAULT_RETURN_TO;
  if (!isSafeReturnTo(value)) {
    throw new ApiError("validation_failed", {
      errors: [{ path: "returnTo", message: "must be a path of this service's console (/console…)" }],
    });
  }
  return value;
}

export const startOAuth = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "get",
    operationId: "startOAuth",
    path: "/v1/auth/oauth/{provider}/start",
    tags: ["auth"],
    summary: "Start signing in with a provider: 302 to it with state, PKCE (S256) and, for OIDC, a nonce",
    description:
      "Sets the `__Host-imagebot_oauth` cookie that binds the flow to this browser. `returnTo` must be a console " +
      "path (`/console…`); anything else is 400. A provider without settings answers 404.",
    request: { params: providerParams, query: startOAuthQuerySchema },
    responses: {
      302: { description: "To the provider (or to the console's sign-in page with `error` when it is unreachable)" },
      400: problemResponse("validation_failed (returnTo is not a console path)"),
      404: problemResponse("not_found (no such provider, or it has no settings)"),
    },
  }),
  handler: async (c) => {
    const provider = requireProvider(c.get("config"), c.req.valid("param").provider);
    const returnTo = checkedReturnTo(c.req.valid("query").returnTo);
    c.header("Cache-Control", "no-store");
    try {
      const url = await startFlow(c, provider, { returnTo, linkUserId: null });
      return c.redirect(url.toString(), 302);
    } catch (error) {
      if (error instanceof ProviderFailure) return c.redirect(failureRedirect(error.code), 302);
      throw error;
    }
  },
});
