import { createRoute } from "@hono/zod-openapi";
import { type RegistrationResponseJSON, verifyRegistrationResponse } from "@simplewebauthn/server";
import { isoBase64URL } from "@simplewebauthn/server/helpers";
import * as z from "zod";
import { sessionOnly } from "../../auth/access";
import { auditContext } from "../../auth/audit-context";
import { sessionPrincipalOf } from "../../auth/principal";
import { newId } from "../../crypto/random";
import { recordAuditEvent } from "../../db/audit";
import { database } from "../../db/client";
import { consumeRegistrationChallenge, insertPasskeyWithinCap, MAX_PASSKEYS_PER_USER } from "../../db/passkeys";
import type { Passkey } from "../../db/schema";
import { ApiError } from "../../errors";
import { signInMethodAddedMail } from "../../services/mail-templates";
import { mailerFor } from "../../services/mailer";
import { relyingParty, SUPPORTED_ALGORITHMS } from "../../services/webauthn";
import { defineEndpoint } from "../endpoint";
import { jsonBody, jsonResponse, problemResponse } from "../schemas";
import { passkeyNameSchema, passkeySchema, passkeyView, registrationResponseSchema } from "./passkey-view";

export const createPasskeyBodySchema = z.strictObject({
  response: registrationResponseSchema,
  name: passkeyNameSchema.optional(),
});

export const createPasskey = defineEndpoint({
  access: sessionOnly,
  route: createRoute({
    method: "post",
    operationId: "createPasskey",
    path: "/v1/me/passkeys",
    tags: ["passkeys"],
    summary: "Finish adding a passkey: the credential's toJSON() from navigator.credentials.create()",
    description:
      "The response must answer one of the caller's own live challenges (single use, 5 minutes), come from an " +
      "origin in WEBAUTHN_ORIGINS for the RP ID WEBAUTHN_RP_ID, and prove user verification. At most " +
      `${MAX_PASSKEYS_PER_USER} passkeys per user.`,
    request: { body: jsonBody(createPasskeyBodySchema) },
    responses: {
      201: jsonResponse("The passkey", passkeySchema),
      400: problemResponse("validation_failed (also a response that does not verify, or a used challenge)"),
      401: problemResponse("unauthorized"),
      403: problemResponse("forbidden"),
      409: problemResponse("conflict: the credential is registered already, or the user has the most passkeys"),
    },
  }),
  handler: async (c) => {
    const principal = sessionPrincipalOf(c);
    const db = database(c.env.DB);
    const { response, name } = c.req.valid("json");
    const { rpId, origins } = relyingParty(c);
    const now = new Date();
    let verification: Awaited<ReturnType<typeof verifyRegistrationResponse>>;
    try {
      verification = await verifyRegistrationResponse({
        response: response as unknown as RegistrationResponseJSON,
        // Takes the challenge (single use) only if it is one the caller asked for and still alive.
        expectedChallenge: (challenge) => consumeRegistrationChallenge(db, principal.userId, challenge, now),
        expectedOrigin: origins,
        expectedRPID: rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
    } catch {
      // The library's message names what failed; it is not echoed (it may quote client data).
      verification = { verified: false };
    }
    if (!verification.verified) {
      throw new ApiError("validation_failed", {
        detail: "The passkey could not be verified: ask for new options and try again.",
        errors: [{ path: "response", message: "does not verify" }],
      });
    }
    const { credential } = verification.registrationInfo;
    const passkey: Passkey = {
      id: newId("pk"),
      userId: principal.userId,
      credentialId: credential.id,
      publicKey: isoBase64URL.fromBuffer(credential.publicKey),
      counter: credential.counter,
      transports: credential.transports ?? [],
      name: name ?? `Passkey added ${now.toISOString().slice(0, 10)}`,
      createdAt: now,
      lastUsedAt: null,
    };
    const outcome = await insertPasskeyWithinCap(db, passkey);
    if (outcome === "duplicate") throw new ApiError("conflict", { detail: "This passkey is registered already." });
    if (outcome === "full") {
      throw new ApiError("conflict", { detail: `At most ${MAX_PASSKEYS_PER_USER} passkeys: remove one first.` });
    }
    // The id, not the name the user typed: audit rows carry facts, never free text from a client.
    await recordAuditEvent(db, auditContext(c), {
      type: "passkey.registered",
      userId: principal.userId,
      metadata: { passkeyId: passkey.id },
    });
    await mailerFor(c).send(signInMethodAddedMail(principal.email, "A passkey", c.get("clientIp")));
    return c.json(passkeyView(passkey), 201);
  },
});
