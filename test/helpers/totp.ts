import * as OTPAuth from "otpauth";

const PERIOD_MS = 30_000;

/** The code an authenticator app shows for `secret` at `timestamp` (RFC 6238: SHA-1, 6 digits, 30 s). */
export function codeAt(secret: string, timestamp: number): string {
  return OTPAuth.TOTP.generate({
    secret: OTPAuth.Secret.fromBase32(secret),
    algorithm: "SHA1",
    digits: 6,
    period: PERIOD_MS / 1000,
    timestamp,
  });
}

/**
 * Waits until the current 30 s step has at least `marginMs` left, so that a test using the
 * previous, current and next step's codes in turn (codes are single use, the server accepts one
 * step either side) is not undone by a step boundary passing mid-request on a loaded machine.
 */
export async function awayFromStepBoundary(marginMs = 6_000): Promise<void> {
  const left = PERIOD_MS - (Date.now() % PERIOD_MS);
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 50));
}
