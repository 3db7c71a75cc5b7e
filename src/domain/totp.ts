import * as OTPAuth from "otpauth";

/**
 * TOTP as every authenticator app reads it (RFC 6238: SHA-1, 6 digits, 30 s), through the
 * maintained `otpauth` library. A code is accepted for the current step or one step either side
 * (clock drift), and returns that step so the caller can refuse it a second time.
 */
export const TOTP_PERIOD_SECONDS = 30;

export function newTotpSecret(): string {
  return new OTPAuth.Secret({ size: 20 }).base32;
}

export function otpauthUri(secretBase32: string, accountLabel: string): string {
  return new OTPAuth.TOTP({
    issuer: "ImageBot",
    label: accountLabel,
    secret: OTPAuth.Secret.fromBase32(secretBase32),
    algorithm: "SHA1",
    digits: 6,
    period: TOTP_PERIOD_SECONDS,
  }).toString();
}

/** The time step the code belongs to, or null when it matches none in the window. */
export function matchTotpStep(secretBase32: string, code: string, nowMs: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = OTPAuth.TOTP.validate({
    token: code,
    secret: OTPAuth.Secret.fromBase32(secretBase32),
    algorithm: "SHA1",
    digits: 6,
    period: TOTP_PERIOD_SECONDS,
    timestamp: nowMs,
    window: 1,
  });
  return delta === null ? null : Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS) + delta;
}
