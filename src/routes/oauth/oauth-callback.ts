import { createRoute } from "@hono/zod-openapi";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { signingKeys } from "../../auth/signing-keys";
import { issueMfaToken } from "../../crypto/jwt";
import { recordRepeatedFailure } from "../../db/audit";
import { database } from "../../db/client";
import type { OAuthState } from "../../db/schema";
import { resolveAccount } from "../../services/oauth/account-rules";
import { beginProviderAttempt } from "../../services/oauth/attempt";
import { resumeFlow } from "../../services/oauth/flow";
import { ProviderFailure } from "../../services/oauth/provider";
import { requireProvider } from "../../services/oauth/provider-registry";
import { completeLogin } from "../auth/complete-login";
import { isTwoFactorEnabled } from "../auth/second-factor";
import { defineEndpoint } from "../endpoint";
import { problemResponse } from "../schemas";
import { providerParams } from "./provider-params";
import { failureRedirect, secondFactorRedirect } from "./redirects";

// Not strict: providers add parameters of their own (`scope`, `authuser`, `iss`, `session_state`).
export const oauthCallbackQuerySchema = z.object({
  code: z.string().max(2048).optional(),
  state: z.string().max(256).optional(),
  error: z.string().max(256).optional(),
  iss: z.string().max(2048).optional(),
});

export const oauthCallback = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "get",
    operationId: "completeOAuth",
    path: "/v1/auth/oauth/{provider}/callback",
    tags: ["auth"],
    summary: "Where the provider sends the browser back: signs in, creates the account, or links",
    description:
      "Checks `state` (single use, 10 minutes, bound to the browser by the `__Host-imagebot_oauth` cookie), " +
      "exchanges the code with the PKCE verifier and, for OIDC, verifies the ID token (issuer, audience, nonce, " +
      "expiry, signature). Ends with the session cookie and a 302 to `returnTo`, or (2FA on) a 302 to the " +
      "console's code step with the mfaToken in the URL fragment. Every failure is a 302 to " +
      "`/console/sign-in?error=<code>`, audited, and counted against the client IP like a failed login.",
    request: { params: providerParams, query: oauthCallbackQuerySchema },
    responses: {
      302: { description: "To returnTo (signed in or linked), the 2FA step, or the sign-in page with `error`" },
      404: problemResponse("not_found (no such provider, or it has no settings)"),
      503: problemResponse("unavailable (a guard could not be reached)"),
    },
  }),
  handler: async (c) => {
    const provider = requireProvider(c.get("config"), c.req.valid("param").provider);
    const { code, state, error, iss } = c.req.valid("query");
    c.header("Cache-Control", "no-store");
    let flow: OAuthState | undefined;
    try {
      const attempt = await beginProviderAttempt(c);
      try {
        const resumed = await resumeFlow(c, provider, state ?? "");
        flow = resumed.row;
        if (error !== undefined || !code) throw new ProviderFailure("provider_denied", "no_code");
        // RFC 9207 §2.4: an `iss` that is not this provider's means the code came from another server.
        if (iss !== undefined && provider.issuers.length > 0 && !provider.issuers.includes(iss)) {
          throw new ProviderFailure("invalid_state", "issuer_mismatch");
        }
        const identity = await provider.identify(code, {
          codeVerifier: resumed.codeVerifier,
          nonceHash: flow.nonceHash,
        });
        const outcome = await resolveAccount(c, provider.id, identity, flow);
        // The operator contained this account: no way in but the mailed reset link (API.md Operator),
        // or an attacker who linked their own provider account could come back through it.
        const contained = outcome.kind !== "linked" && outcome.user.passwordResetRequired;
        const needsSecondFactor =
          outcome.kind !== "linked" && !contained && (await isTwoFactorEnabled(c, outcome.user.id));
        // A sign-in signal only when the provider completes it (not a link, not before a second factor).
        await attempt.settle("cancelled", outcome.kind !== "linked" && !contained && !needsSecondFactor);
        if (outcome.kind === "linked") return c.redirect(flow.returnTo, 302);
        if (contained) throw new ProviderFailure("password_reset_required");
        if (needsSecondFactor) {
          // The provider stands in for the password only: the second factor is still asked.
          const mfaToken = await issueMfaToken(outcome.user.id, signingKeys(c));
          return c.redirect(secondFactorRedirect(mfaToken, flow.returnTo), 302);
        }
        await completeLogin(
          c,
          outcome.user,
          { delivery: "cookie", signInMethod: `oauth:${provider.id}` },
          { provider: provider.id, accountCreated: outcome.created },
        );
        return c.redirect(flow.returnTo, 302);
      } catch (failure) {
        // A contained account's provider sign-in was right, and its attempt is settled already.
        if (failure instanceof ProviderFailure && failure.code !== "password_reset_required") {
          await attempt.settle("failure");
        }
        throw failure;
      }
    } catch (failure) {
      if (!(failure instanceof ProviderFailure)) throw failure;
      // One row per address, reason and minute with a count: a flood of bad callbacks writes little.
      await recordRepeatedFailure(database(c.env.DB), auditContext(c), {
        type: "auth.oauth_failed",
        userId: flow?.linkUserId ?? null,
        metadata: { provider: provider.id, reason: failure.code, detail: failure.reason },
      });
      return c.redirect(failureRedirect(failure.code, flow?.linkUserId ? flow.returnTo : undefined), 302);
    }
  },
});
