import * as z from "zod";
import { isCommonPassword } from "../domain/password-policy";

/** Shared request/response schemas: the OpenAPI document is generated from these. */

export const emailSchema = z
  .string()
  .trim()
  .toLowerCase()
  .max(254)
  .pipe(z.email({ error: "must be an email address" }));

/**
 * 8..256 characters (code points, after NFC normalisation, so that the same password typed
 * on different systems is the same password). Long passwords are safe: see crypto/password.ts.
 * Lone UTF-16 surrogates are refused: hashing encodes them as U+FFFD, so the password stored
 * would not be the one sent (and "a\ud800…" and "a\ufffd…" would be the same password).
 */
export const passwordSchema = z
  .string()
  .refine((password) => password.isWellFormed(), { error: "must be well-formed Unicode text" })
  .transform((password) => password.normalize("NFC"))
  .refine((password) => [...password].length >= 8, { error: "must be at least 8 characters" })
  .refine((password) => [...password].length <= 256, { error: "must be at most 256 characters" })
  .refine((password) => !isCommonPassword(password), {
    error: "is one of the most common passwords; choose a longer, less predictable passphrase",
  });

/**
 * Free text as users type it. Strings with lone UTF-16 surrogates are refused: they are not
 * text, and storage would replace them (U+FFFD), so what comes back would differ from what was
 * sent. `trim` drops surrounding whitespace for names; bodies and prompts are kept as sent.
 */
export function plainText(limits: { min?: number; max: number; trim?: boolean }) {
  const base = limits.trim ? z.string().trim() : z.string();
  return base
    .min(limits.min ?? 1)
    .max(limits.max)
    .refine((value) => value.isWellFormed(), { error: "must be well-formed Unicode text" });
}

export const nameSchema = plainText({ max: 100, trim: true });

export const userSchema = z
  .object({
    id: z.string(),
    email: z.string(),
    name: z.string().nullable(),
    plan: z.enum(["standard", "pro", "enterprise"]),
    createdAt: z.iso.datetime(),
    /** Whether the account proved its address (API.md "Email ownership"). */
    emailVerified: z.boolean(),
    /** An email change waiting for the link mailed to the new address. */
    pendingEmail: z.string().nullable(),
  })
  .meta({ id: "User" });

export const tokenResponseSchema = z
  .object({
    token: z.string(),
    tokenType: z.literal("Bearer"),
    expiresAt: z.iso.datetime(),
    user: userSchema,
  })
  .meta({ id: "TokenResponse" });

/** How a sign-in hands over its session (API.md "Browser sessions"): a bearer token, or the httpOnly cookie. */
export const sessionDeliverySchema = z
  .enum(["bearer", "cookie"])
  .default("bearer")
  .describe("`cookie`: the session goes into the `__Host-imagebot_session` cookie and the body carries no token");

export const cookieSessionResponseSchema = z
  .object({
    user: userSchema,
    expiresAt: z.iso.datetime(),
    /** Send it as `X-CSRF-Token` with every state-changing request made with the cookie. */
    csrfToken: z.string(),
  })
  .meta({ id: "CookieSessionResponse" });

export const signInResponseSchema = z.union([tokenResponseSchema, cookieSessionResponseSchema]);

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    code: z.string(),
    requestId: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem" });

export const paginationQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(200).optional(),
});

/** A problem+json response entry for the OpenAPI document. */
export function problemResponse(description: string) {
  return { description, content: { "application/problem+json": { schema: problemSchema } } };
}

export function jsonBody<T extends z.ZodType>(schema: T) {
  return { required: true, content: { "application/json": { schema } } };
}

export function jsonResponse<T extends z.ZodType>(description: string, schema: T) {
  return { description, content: { "application/json": { schema } } };
}

export const bearerAuth = [{ bearerAuth: [] }];
