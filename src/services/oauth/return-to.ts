/** Where a flow ends when it names no page: the console's start page. */
export const DEFAULT_RETURN_TO = "/console";
const MAX_RETURN_TO_CHARS = 512;

/**
 * Whether `value` is a console page of this service and nothing else (API.md: never an open
 * redirect; OWASP "Unvalidated Redirects and Forwards"). Refused: anything not starting with
 * `/console` as a whole path segment, `//` (a scheme-relative URL), a backslash (browsers read
 * `/\evil.example` as `//evil.example`), any percent-encoding (`%2f`, `%5c` and double encodings
 * that a later decode could turn into the above), control characters and whitespace, and
 * anything that would not resolve to the same path on our own origin.
 */
export function isSafeReturnTo(value: string): boolean {
  if (value.length === 0 || value.length > MAX_RETURN_TO_CHARS) return false;
  if (!/^\/console(?:[/?#]|$)/.test(value)) return false;
  if (value.includes("//") || value.includes("\\") || value.includes("%")) return false;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it refuses
  if (/[\u0000-\u0020\u007f-\u009f]/.test(value)) return false;
  const base = "https://return-to.invalid";
  const resolved = new URL(value, base);
  return resolved.origin === base && `${resolved.pathname}${resolved.search}${resolved.hash}` === value;
}
