import * as OTPAuth from "otpauth";
import { expect } from "vitest";
import { api, type RegisteredUser, registerUser } from "./api";

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

/** Starts enrolment for `user` through the API; returns the TOTP secret (2FA is not on yet). */
export async function enrollTwoFactor(user: RegisteredUser): Promise<string> {
  const response = await api("POST", "/v1/me/2fa/totp", { token: user.token, body: { password: user.password } });
  expect(response.status).toBe(200);
  return ((await response.json()) as { secret: string }).secret;
}

/**
 * Turns 2FA on for `user` through the API, confirming with this step's code: still inside the
 * ±1-step window if a step boundary passes before the check. Later codes for this user should be
 * the next step's (`codeAt(secret, Date.now() + 30_000)`), past the one used here.
 */
export async function turnOnTwoFactor(user: RegisteredUser): Promise<string> {
  const secret = await enrollTwoFactor(user);
  const confirmed = await api("POST", "/v1/me/2fa/totp/confirm", {
    token: user.token,
    body: { code: codeAt(secret, Date.now()) },
  });
  expect(confirmed.status).toBe(200);
  return secret;
}

/** A new user with 2FA on, and its secret. */
export async function userWithTwoFactor() {
  const user = await registerUser();
  return { user, secret: await turnOnTwoFactor(user) };
}
