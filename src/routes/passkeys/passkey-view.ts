import * as z from "zod";
import type { Passkey } from "../../db/schema";
import { nameSchema } from "../schemas";

export const passkeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    createdAt: z.iso.datetime(),
    lastUsedAt: z.iso.datetime().nullable(),
  })
  .meta({ id: "Passkey" });

export const passkeyIdParams = z.strictObject({ id: z.string().max(100) });

export const passkeyNameSchema = nameSchema;

/** What a user sees of a passkey: never its public key, credential id or counter. */
export function passkeyView(passkey: Passkey) {
  return {
    id: passkey.id,
    name: passkey.name,
    createdAt: passkey.createdAt.toISOString(),
    lastUsedAt: passkey.lastUsedAt?.toISOString() ?? null,
  };
}

/**
 * A WebAuthn response as `PublicKeyCredential.toJSON()` gives it (base64url strings). Its inner
 * objects keep unknown members: browsers add fields as WebAuthn evolves (`publicKey`,
 * `authenticatorData`, …), and @simplewebauthn/server checks what matters. Every string is capped.
 */
const base64url = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9_-]*$/, { error: "must be base64url" });

export const registrationResponseSchema = z
  .looseObject({
    id: base64url(1366),
    rawId: base64url(1366),
    type: z.literal("public-key"),
    response: z.looseObject({
      clientDataJSON: base64url(4096),
      attestationObject: base64url(32_768),
      transports: z.array(z.string().max(32)).max(10).optional(),
    }),
    clientExtensionResults: z.looseObject({}),
    authenticatorAttachment: z.string().max(32).optional(),
  })
  .meta({ id: "PasskeyRegistrationResponse" });

export const authenticationResponseSchema = z
  .looseObject({
    id: base64url(1366),
    rawId: base64url(1366),
    type: z.literal("public-key"),
    response: z.looseObject({
      clientDataJSON: base64url(4096),
      authenticatorData: base64url(4096),
      signature: base64url(2048),
      userHandle: base64url(512).optional(),
    }),
    clientExtensionResults: z.looseObject({}),
    authenticatorAttachment: z.string().max(32).optional(),
  })
  .meta({ id: "PasskeyAuthenticationResponse" });
