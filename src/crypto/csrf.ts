import { toBase64Url } from "./encoding";
import { hmacSha256 } from "./hash";
import type { SigningKeys } from "./jwt";
import { timingSafeEqualStrings } from "./timing-safe";

// A CSRF token is an HMAC of the session id (OWASP CSRF cheat sheet, "signed double-submit" bound
// to the session): nothing is stored, it stays the same for the session's life (refreshes
// included), and no other session's token matches. The message carries its own prefix, so no
// signature made for another purpose with the same secret (a JWT signs base64url text, which
// never contains "/") can be replayed as one.
const purpose = (sessionId: string) => `imagebot-edge/csrf/v1/${sessionId}`;

/** The CSRF token of a session, under the current signing secret. */
export async function csrfTokenFor(sessionId: string, keys: SigningKeys): Promise<string> {
  return toBase64Url(await hmacSha256(keys.current, purpose(sessionId)));
}

/** Whether `presented` is the session's CSRF token under the current or the previous secret (constant time). */
export async function isCsrfTokenOf(presented: string, sessionId: string, keys: SigningKeys): Promise<boolean> {
  const secrets = keys.previous ? [keys.current, keys.previous] : [keys.current];
  let matched = false;
  for (const secret of secrets) {
    const expected = toBase64Url(await hmacSha256(secret, purpose(sessionId)));
    // Both are compared, whichever matches: the time does not tell which secret a token used.
    if (await timingSafeEqualStrings(presented, expected)) matched = true;
  }
  return matched;
}
