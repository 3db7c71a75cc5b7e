import { toBase64Url, utf8 } from "./encoding";

/**
 * AES-256-GCM for small secrets at rest (TOTP seeds). The key is derived from the configured
 * secret with SHA-256 under a purpose label; each value gets a fresh 96-bit IV, stored with it.
 *
 * A sealed value names the key that sealed it (`v2.<key id>.<iv>.<ciphertext>`), so the secret
 * can rotate: the new one seals, the previous one still opens what it sealed, and a value that
 * names neither fails as `UnknownSealingKey` instead of a bare decryption error. Values of the
 * first format (`v1.<iv>.<ciphertext>`) name no key; they are tried with each key in turn (GCM
 * authenticates, so a wrong key fails cleanly and never yields wrong plaintext).
 */
export interface SealingKeys {
  current: string;
  previous?: string | undefined;
}

export class UnknownSealingKey extends Error {
  constructor() {
    super("the sealed value names a key that is neither the current nor the previous one");
  }
}

async function keyFrom(secret: string, usage: "encrypt" | "decrypt"): Promise<CryptoKey> {
  const material = await crypto.subtle.digest("SHA-256", utf8.encode(`imagebot-edge/secret-box/v1/${secret}`));
  return crypto.subtle.importKey("raw", material, { name: "AES-GCM" }, false, [usage]);
}

/** 64 bits of a hash under its own label: names a key without revealing anything usable about it. */
async function keyIdOf(secret: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", utf8.encode(`imagebot-edge/secret-box/key-id/${secret}`));
  return toBase64Url(new Uint8Array(digest).slice(0, 8));
}

function fromBase64Url(text: string): Uint8Array {
  return Uint8Array.from(atob(text.replaceAll("-", "+").replaceAll("_", "/")), (char) => char.charCodeAt(0));
}

async function decrypt(iv: string, ciphertext: string, secret: string): Promise<string> {
  const plaintext = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: fromBase64Url(iv) },
    await keyFrom(secret, "decrypt"),
    fromBase64Url(ciphertext),
  );
  return new TextDecoder().decode(plaintext);
}

export async function sealSecret(plaintext: string, keys: SealingKeys): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv },
    await keyFrom(keys.current, "encrypt"),
    utf8.encode(plaintext),
  );
  return `v2.${await keyIdOf(keys.current)}.${toBase64Url(iv)}.${toBase64Url(ciphertext)}`;
}

/**
 * Opens a sealed value with whichever configured key sealed it. `stale` says that key was not the
 * current one: the caller re-seals the value, so the previous key can be retired once every
 * stored value has been used (or re-sealed) since the rotation.
 */
export async function openSecret(sealed: string, keys: SealingKeys): Promise<{ plaintext: string; stale: boolean }> {
  const parts = sealed.split(".");
  const candidates = [keys.current, keys.previous].filter((key): key is string => Boolean(key));
  if (parts[0] === "v2" && parts.length === 4) {
    const [, keyId, iv, ciphertext] = parts as [string, string, string, string];
    for (const key of candidates) {
      if ((await keyIdOf(key)) === keyId) {
        return { plaintext: await decrypt(iv, ciphertext, key), stale: key !== keys.current };
      }
    }
    throw new UnknownSealingKey();
  }
  if (parts[0] === "v1" && parts.length === 3) {
    const [, iv, ciphertext] = parts as [string, string, string];
    for (const key of candidates) {
      try {
        return { plaintext: await decrypt(iv, ciphertext, key), stale: true };
      } catch {}
    }
    throw new UnknownSealingKey();
  }
  throw new Error("unknown sealed format");
}
