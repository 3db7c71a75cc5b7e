import { env } from "cloudflare:workers";

const utf8 = new TextEncoder();

export function base64url(input: string | ArrayBuffer): string {
  const bytes = typeof input === "string" ? utf8.encode(input) : new Uint8Array(input);
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function decodeSegment<T = Record<string, unknown>>(segment: string): T {
  const binary = atob(segment.replaceAll("-", "+").replaceAll("_", "/"));
  return JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (char) => char.charCodeAt(0)))) as T;
}

export function decodeToken(token: string) {
  const [header, payload] = token.split(".") as [string, string];
  return {
    header: decodeSegment(header),
    payload: decodeSegment<Record<string, unknown> & { iat: number; exp: number; sid: string }>(payload),
  };
}

/** Builds a compact JWS with any header and payload, HMAC-signed with `secret` under `hash`. */
export async function craftToken(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  secret: string = env.JWT_SECRET,
  hash: "SHA-256" | "SHA-512" = "SHA-256",
): Promise<string> {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const key = await crypto.subtle.importKey("raw", utf8.encode(secret), { name: "HMAC", hash }, false, ["sign"]);
  return `${signingInput}.${base64url(await crypto.subtle.sign("HMAC", key, utf8.encode(signingInput)))}`;
}

/** Re-signs a real token's claims with changes, keeping its header (kid) unless told otherwise. */
export async function resign(
  token: string,
  changes: { payload?: Record<string, unknown>; header?: Record<string, unknown>; secret?: string },
) {
  const { header, payload } = decodeToken(token);
  const nextPayload = Object.fromEntries(
    Object.entries({ ...payload, ...changes.payload }).filter(([, value]) => value !== undefined),
  );
  return craftToken({ ...header, ...changes.header }, nextPayload, changes.secret);
}

export const nowSeconds = () => Math.floor(Date.now() / 1000);
