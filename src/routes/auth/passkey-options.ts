import { createRoute } from "@hono/zod-openapi";
import { generateAuthenticationOptions } from "@simplewebauthn/server";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { newId } from "../../crypto/random";
import { database } from "../../db/client";
import { storePasskeyChallenge } from "../../db/passkeys";
import { CHALLENGE_LIFETIME_MS, relyingParty } from "../../services/webauthn";
import { defineEndpoint } from "../endpoint";
import { jsonResponse, problemResponse } from "../schemas";

export const passkeySignInOptionsSchema = z
  .object({
    challengeId: z.string(),
    options: z.looseObject({ challenge: z.string() }).describe("PublicKeyCredentialRequestOptionsJSON"),
  })
  .meta({ id: "PasskeySignInOptions" });

export const passkeySignInOptions = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "post",
    operationId: "getPasskeySignInOptions",
    path: "/v1/auth/passkey/options",
    tags: ["auth"],
    summary:
      "Start a passkey sign-in: a single-use challenge (5 minutes) and the options for navigator.credentials.get()",
    description:
      "Discoverable credentials: `allowCredentials` is empty, so the request names no account and the " +
      "authenticator offers the passkeys it holds for this site. User verification is required: a passkey " +
      "sign-in stands in for the password and 2FA, so the authenticator must prove the user too (PIN or biometric).",
    responses: {
      200: jsonResponse(
        "The challenge's id (send it back with the response) and the request options",
        passkeySignInOptionsSchema,
      ),
      400: problemResponse("validation_failed (this route takes no body)"),
    },
  }),
  handler: async (c) => {
    const options = await generateAuthenticationOptions({
      rpID: relyingParty(c).rpId,
      allowCredentials: [],
      userVerification: "required",
      timeout: CHALLENGE_LIFETIME_MS,
    });
    const challengeId = newId("pkc");
    // Bound to its id and nobody: which account signs in is known only from the signed response.
    await storePasskeyChallenge(database(c.env.DB), {
      id: challengeId,
      purpose: "authentication",
      userId: null,
      challenge: options.challenge,
      expiresAt: new Date(Date.now() + CHALLENGE_LIFETIME_MS),
    });
    return c.json({ challengeId, options: options as unknown as { challenge: string } }, 200);
  },
});
