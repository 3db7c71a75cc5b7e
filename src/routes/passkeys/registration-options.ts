import { createRoute } from "@hono/zod-openapi";
import { generateRegistrationOptions } from "@simplewebauthn/server";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { sessionPrincipalOf } from "../../auth/principal";
import { verifyPassword } from "../../crypto/password";
import { newId } from "../../crypto/random";
import { database } from "../../db/client";
import { listCredentialIds, storePasskeyChallenge } from "../../db/passkeys";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import {
  CHALLENGE_LIFETIME_MS,
  RELYING_PARTY_NAME,
  relyingParty,
  SUPPORTED_ALGORITHMS,
  userHandleOf,
} from "../../services/webauthn";
import { guardedPasswordCheck } from "../auth/guarded-password-check";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../schemas";

/** A session this young proved the user recently enough to add a passkey without the password. */
export const RECENT_SIGN_IN_MS = 5 * 60 * 1000;

export const passkeyRegistrationOptions = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "getPasskeyRegistrationOptions",
    path: "/v1/me/passkeys/registration-options",
    tags: ["passkeys"],
    summary: "Start adding a passkey: the options for navigator.credentials.create()",
    description:
      "Needs the password, or a session that signed in less than 5 minutes ago (a stolen, older session " +
      "cannot plant a passkey of its own). The answer is a PublicKeyCredentialCreationOptionsJSON (give it to " +
      "PublicKeyCredential.parseCreationOptionsFromJSON); its challenge is single use and lives 5 minutes. " +
      "A wrong password counts as a failed login.",
    request: { body: jsonBody(z.strictObject({ password: z.string().min(1).max(1024).optional() })) },
    responses: {
      200: jsonResponse(
        "PublicKeyCredentialCreationOptionsJSON",
        z.looseObject({ challenge: z.string() }).meta({ id: "PasskeyCreationOptions" }),
      ),
      400: problemResponse("validation_failed"),
      401: problemResponse("unauthorized, or invalid_credentials for a wrong password"),
      403: problemResponse("forbidden: the session is older than 5 minutes and no password was sent"),
      423: problemResponse("account_locked"),
      429: problemResponse("too_many_attempts"),
    },
  }),
  handler: async (c) => {
    const principal = sessionPrincipalOf(c);
    const db = database(c.env.DB);
    const user = await findUserById(db, principal.userId);
    if (!user) throw new ApiError("not_found");
    const { password } = c.req.valid("json");
    if (password !== undefined) {
      const { passed } = await guardedPasswordCheck(c, {
        email: user.email,
        userId: user.id,
        context: "passkey_registration",
        verify: () => verifyPassword(password, user.passwordHash),
      });
      if (!passed) throw new ApiError("invalid_credentials", { detail: "The password is wrong." });
    } else if (Date.now() - principal.sessionCreatedAt >= RECENT_SIGN_IN_MS) {
      throw new ApiError("forbidden", {
        detail: "Confirm with your password: this session signed in more than 5 minutes ago.",
      });
    }

    const { rpId } = relyingParty(c);
    const options = await generateRegistrationOptions({
      rpName: RELYING_PARTY_NAME,
      rpID: rpId,
      userName: user.email,
      userID: userHandleOf(user.id),
      userDisplayName: user.name ?? user.email,
      attestationType: "none",
      // Discoverable (the sign-in names no account) and verified (PIN or biometric), so that a
      // passkey alone is two factors and may stand in for the password and 2FA.
      authenticatorSelection: { residentKey: "required", userVerification: "required" },
      excludeCredentials: (await listCredentialIds(db, user.id)).map((id) => ({ id })),
      supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      timeout: CHALLENGE_LIFETIME_MS,
    });
    await storePasskeyChallenge(db, {
      id: newId("pkc"),
      purpose: "registration",
      userId: user.id,
      challenge: options.challenge,
      expiresAt: new Date(Date.now() + CHALLENGE_LIFETIME_MS),
    });
    return c.json(options as unknown as { challenge: string }, 200);
  },
});
