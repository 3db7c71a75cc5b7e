import { env } from "cloudflare:workers";

/**
 * Every secret the suite hands to the service or receives from it: passwords, JWTs, API keys,
 * reset and invitation tokens, MFA secrets and the configured secrets. The leak guard
 * (test/security/leak-guard.ts) proves that none of them ever reaches a log line or an audit row.
 */
const secrets = new Set<string>();

// Field names that carry a credential, in request and response bodies alike.
const SECRET_FIELDS = /^(password|currentPassword|newPassword|token|mfaToken|key|secret|otpauthUrl|backupCodes)$/;
// Shorter values (6-digit codes, short test strings) would match unrelated text by chance.
const MIN_LENGTH = 12;

export function rememberSecret(value: unknown): void {
  if (typeof value === "string" && value.length >= MIN_LENGTH) {
    secrets.add(value);
    // A JWT's signature is the secret part: a log of it alone would still be a leak.
    const parts = value.split(".");
    if (parts.length === 3 && value.startsWith("eyJ") && parts[2]) secrets.add(parts[2]);
  } else if (Array.isArray(value)) {
    for (const item of value) rememberSecret(item);
  }
}

/** For the guard's own self-test only: a secret planted on purpose is no longer a leak. */
export function forgetSecret(value: string): void {
  secrets.delete(value);
  const signature = value.split(".")[2];
  if (signature) secrets.delete(signature);
}

/** Walks a JSON value and remembers every value under a credential-bearing field name. */
export function rememberSecretsIn(json: unknown, depth = 0): void {
  if (depth > 8 || json === null || typeof json !== "object") return;
  for (const [field, value] of Object.entries(json)) {
    if (SECRET_FIELDS.test(field)) rememberSecret(value);
    else rememberSecretsIn(value, depth + 1);
  }
}

/** The bearer value of an Authorization header, and any refreshed token a response carries. */
export function rememberSecretsInHeaders(headers: Headers): void {
  const authorization = headers.get("Authorization");
  if (authorization?.startsWith("Bearer ")) rememberSecret(authorization.slice("Bearer ".length).trim());
  rememberSecret(headers.get("X-Refreshed-Token"));
}

/** Remembers what a request and its JSON response carried; never consumes the caller's body. */
export async function rememberExchange(requestHeaders: Headers, requestBody: string | undefined, response: Response) {
  rememberSecretsInHeaders(requestHeaders);
  rememberSecretsInHeaders(response.headers);
  for (const text of [requestBody, await jsonText(response)]) {
    if (!text) continue;
    try {
      rememberSecretsIn(JSON.parse(text));
    } catch {
      // Not JSON (malformed-body tests): nothing field-shaped to remember.
    }
  }
}

async function jsonText(response: Response): Promise<string | undefined> {
  const type = response.headers.get("Content-Type") ?? "";
  if (!type.includes("json") || response.bodyUsed) return undefined;
  return response.clone().text();
}

/** The secrets remembered so far, with the service's own configured secrets. */
export function knownSecrets(): string[] {
  for (const name of [
    "JWT_SECRET",
    "JWT_SECRET_PREVIOUS",
    "ADMIN_TOKEN",
    "STRIPE_WEBHOOK_SECRET",
    "TOTP_ENCRYPTION_KEY",
  ]) {
    rememberSecret((env as unknown as Record<string, unknown>)[name]);
  }
  return [...secrets];
}
