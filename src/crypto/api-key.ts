import { toHex } from "./encoding";

export const API_KEY_PREFIX = "imgbot_live_";
/** `imgbot_live_` and 64 lower-case hex characters (32 random bytes), nothing else. */
export const API_KEY_FORMAT = /^imgbot_live_[0-9a-f]{64}$/;

export function generateApiKey(): { key: string; displayPrefix: string; lastFour: string } {
  const key = `${API_KEY_PREFIX}${toHex(crypto.getRandomValues(new Uint8Array(32)))}`;
  // Enough to recognise a key in a list, far too little to guess it (8 of 64 hex characters).
  return { key, displayPrefix: key.slice(0, API_KEY_PREFIX.length + 8), lastFour: key.slice(-4) };
}
