import { createRoute } from "@hono/zod-openapi";
import { type AuthenticationResponseJSON, verifyAuthenticationResponse } from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import * as z from "zod";
import { publicAccess } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { recordAuditEvent, recordRepeatedFailure } from "../../db/audit";
import { database } from "../../db/client";
import { advancePasskeyCounter, consumeAuthenticationChallenge, findPasskeyByCredentialId } from "../../db/passkeys";
import type { Passkey } from "../../db/schema";
import { findUserById } from "../../db/users";
import { ApiError } from "../../errors";
import { relyingParty, userHandleOf } from "../../services/webauthn";
import { defineEndpoint } from "../endpoint";
import { authenticationResponseSchema } from "../passkeys/passkey-view";
import { jsonBody, jsonResponse, problemResponse, sessionDeliverySchema, signInResponseSchema } from "../schemas";
import { completeLogin } from "./complete-login";
import { guardedPasswordCheck } from "./guarded-password-check";
import { requireTrustedOriginFor } from "./start-session";

export const passkeySignInBodySchema = z.strictObject({
  challengeId: z.string().min(1).max(100),
  response: authenticationResponseSchema,
  session: sessionDeliverySchema,
});

/** Why an assertion failed: the audit row's reason (never shown to the client, who sees one answer). */
type PasskeyFailure = "challenge" | "unknown_credential" | "user_handle" | "signature" | "counter_regressed";

export const passkeySignIn = defineEndpoint({
  access: publicAccess,
  route: createRoute({
    method: "post",
    operationId: "signInWithPasskey",
    path: "/v1/auth/passkey",
    tags: ["auth"],
    summary: "Sign in with a passkey: the challenge id and the credential's toJSON() from navigator.credentials.get()",
    description:
      "A passkey sign-in satisfies 2FA (no code is asked). Every failure (unknown, used or expired challenge, " +
      "unknown credential, bad signature, wrong origin or RP ID, a signature counter that did not move forward) " +
      "answers the same 401 invalid_credentials and counts as a failed login for the IP, and for the account when " +
      "the credential is known; throttled or locked attempts are refused before anything is verified.",
    request: { body: jsonBody(passkeySignInBodySchema) },
    responses: {
      200: jsonResponse("Signed in", signInResponseSchema),
      400: problemResponse("validation_failed"),
      401: problemResponse("invalid_credentials"),
      403: problemResponse(
        "csrf_failed (a cookie session asked for from a foreign origin), or password_reset_required (the operator " +
          "contained the account: the mailed reset link first)",
      ),
      423: problemResponse("account_locked"),
      429: problemResponse("too_many_attempts"),
    },
  }),
  handler: async (c) => {
    const { challengeId, response, session } = c.req.valid("json");
    requireTrustedOriginFor(c, session);
    const db = database(c.env.DB);
    const passkey = await findPasskeyByCredentialId(db, response.id);
    const user = passkey ? await findUserById(db, passkey.userId) : undefined;
    const now = new Date();
    let failure: PasskeyFailure | null = null;
    let presentedCounter = 0;

    const verifyAssertion = async (known: { passkey: Passkey; userId: string } | null): Promise<boolean> => {
      // The challenge is used up by any attempt, good or bad (single use).
      const challenge = await consumeAuthenticationChallenge(db, challengeId, now);
      if (!challenge) return fail("challenge");
      if (!known) return fail("unknown_credential");
      const { userHandle } = response.response;
      if (userHandle !== undefined && userHandle !== isoBase64URL.fromBuffer(userHandleOf(known.userId))) {
        return fail("user_handle");
      }
      const { rpId, origins } = relyingParty(c);
      try {
        const { verified, authenticationInfo } = await verifyAuthenticationResponse({
          response: response as unknown as AuthenticationResponseJSON,
          expectedChallenge: challenge,
          expectedOrigin: origins,
          expectedRPID: rpId,
          // Counter 0 turns the library's own counter rule off: it runs before the signature is
          // checked, so a forged response could not be told from a cloned authenticator. The
          // counter is compared below, once the signature proved the response genuine.
          credential: {
            id: known.passkey.credentialId,
            publicKey: isoBase64URL.toBuffer(known.passkey.publicKey),
            counter: 0,
            transports: known.passkey.transports,
          },
          requireUserVerification: true,
        });
        if (!verified) return fail("signature");
        presentedCounter = authenticationInfo.newCounter;
      } catch {
        return fail("signature");
      }
      // A signed counter that did not move forward means two authenticators hold one key (WebAuthn
      // §6.1.1): refused, and audited for the owner. The check and the update are one statement.
      if (!(await advancePasskeyCounter(db, known.passkey.id, presentedCounter, now))) {
        return fail("counter_regressed");
      }
      return true;
    };
    const fail = (reason: PasskeyFailure) => {
      failure = reason;
      return false;
    };

    const { passed, newlyLocked } = await guardedPasswordCheck(c, {
      // The account guard's key: the owner's email, or for an unknown credential a key no email can
      // be (no "@"), so guessing credential ids is counted like guessing emails.
      email: user?.email ?? `passkey:${response.id}`,
      userId: user?.id ?? null,
      context: "passkey",
      verify: () => verifyAssertion(passkey && user ? { passkey, userId: user.id } : null),
    });
    if (!passed || !user) {
      // (TypeScript cannot see that verify() assigned it.)
      const reason = (failure as PasskeyFailure | null) ?? "signature";
      await recordRepeatedFailure(db, auditContext(c), {
        type: "auth.login_failed",
        userId: user?.id ?? null,
        metadata: { reason: `passkey_${reason}`, context: "passkey", locked: newlyLocked },
      });
      if (reason === "counter_regressed" && passkey) {
        await recordAuditEvent(db, auditContext(c), {
          type: "passkey.counter_regressed",
          userId: passkey.userId,
          metadata: { passkeyId: passkey.id, storedCounter: passkey.counter, presentedCounter },
        });
      }
      throw new ApiError("invalid_credentials", { detail: "The passkey could not be verified." });
    }
    // An account the operator contained (force-password-reset) signs in again only after the
    // reset link: a passkey planted by whoever compromised it must not be a way around that.
    if (user.passwordResetRequired) throw new ApiError("password_reset_required");
    return c.json(
      await completeLogin(c, user, { delivery: session, signInMethod: "passkey" }, { passkeyId: passkey?.id }),
      200,
    );
  },
});
