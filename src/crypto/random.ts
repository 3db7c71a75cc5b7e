import { toBase64Url } from "./encoding";

/** `byteCount` bytes from the platform CSPRNG, base64url-encoded. */
export function randomToken(byteCount = 32): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(byteCount)));
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
  | "bkc";

/** Opaque, unguessable ids (API.md "General": a type prefix and >= 96 random bits; these carry 128). */
export function newId(prefix: IdPrefix): string {
  return `${prefix}_${randomToken(16)}`;
}
