import { toBase64Url } from "./encoding";

/** `byteCount` bytes from the platform CSPRNG, base64url-encoded. */
export function randomToken(byteCount = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(byteCount)));
}

/** Crockford's base32 in lower case: no i, l, o or u, so a code that is read or typed is not misread. */
const BASE32 = "0123456789abcdefghjkmnpqrstvwxyz";

/** `length` base32 characters of 5 random bits each (a byte's low 5 bits: 256 = 8 × 32, no bias). */
export function randomBase32(length: number): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(length)), (byte) => BASE32[byte & 31]).join("");
}

export type IdPrefix =
  | "usr"
  | "ses"
  | "key"
  | "img"
  | "col"
  | "team"
  | "inv"
  | "aud"
  | "cmt"
  | "jti"
  | "mail"
  | "rst"
  | "evt"
  | "lic"
  | "bkc"
  | "idn"
  | "pk"
  | "pkc"
  | "alr";

/** Opaque, unguessable ids (API.md "General": a type prefix and >= 96 random bits; these carry 128). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomToken(16)}`;
}
