import { toBase64Url, utf8 } from "./encoding";

/**
 * AES-256-GCM for small secrets at rest (TOTP seeds). The key is derived from the configured
 * secret with SHA-256 under a purpose label; each value gets a fresh 96-bit IV, stored with it.
 */
async function keyFrom(secret: string, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  const material = await crypto.subtle.digest("SHA-256", utf8.encode(`imagebot-edge/secret-box/v1/${secret}`));
  return crypto.subtle.importKey("raw", material, { name: "AES-GCM" }, false, [usage]);
}

function fromBase64Url(text: string): Uint8Array {
  return Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (char) => char.charCodeAt(0));
}

export async function sealSecret(plaintext: string, secret: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await keyFrom(secret, "encrypt"),
    utf8.encode(plaintext),
  );
  return `v1.${toBase64Url(iv)}.${toBase64Url(ciphertext)}`;
}

export async function openSecret(sealed: string, secret: string): Promise<string> {
  const [version, iv, ciphertext] = sealed.split(".");
  if (version !== "v1" || !iv || !ciphertext) throw new Error("unknown sealed format");
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64Url(iv) },
    await keyFrom(secret, "decrypt"),
    fromBase64Url(ciphertext),
  );
  return new TextDecoder().decode(plaintext);
}
