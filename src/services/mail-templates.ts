import type { OutgoingMail } from "./mailer";

/** The security notices of the product ("email notification on suspicious activity"). */

const signature = "\n\n— ImageBot security";

export function passwordResetRequestedMail(to: string, resetUrl: string): OutgoingMail {
  return {
    to,
    subject: "Reset your ImageBot password",
    text: `Someone asked to reset the password of your ImageBot account.\n\nTo choose a new password, open this link within one hour:\n${resetUrl}\n\nIf this was not you, ignore this mail: your password stays as it is.${signature}`,
  };
}

export function passwordResetForcedMail(to: string, resetUrl: string): OutgoingMail {
  return {
    to,
    subject: "Your ImageBot password must be reset",
    text: `To protect your ImageBot account, our security team ended all of its sessions and API keys and requires a new password before you sign in again.\n\nChoose a new password with this link (valid for one hour; if it expires, use "Forgot password"):\n${resetUrl}${signature}`,
  };
}

export function accountLockedMail(to: string, resetUrl: string, lockoutMinutes: number): OutgoingMail {
  return {
    to,
    subject: "Your ImageBot account was locked",
    text: `After 10 failed sign-in attempts in a row, your ImageBot account is locked for ${lockoutMinutes} minutes.\n\nIf these attempts were not yours, someone may be guessing your password. You can choose a new one now, which also unlocks the account (valid for one hour):\n${resetUrl}${signature}`,
  };
}

export function newSignInMail(to: string, sign: { ip: string; userAgent: string | null; at: Date }): OutgoingMail {
  return {
    to,
    subject: "New sign-in to your ImageBot account",
    text: `Your account was signed in to from an address it has not used in the last 30 days.\n\nWhen: ${sign.at.toISOString()}\nIP address: ${sign.ip}\nDevice: ${sign.userAgent ?? "unknown"}\n\nIf this was not you, change your password and sign out every session from your account settings.${signature}`,
  };
}

export function newCountrySignInMail(
  to: string,
  sign: { country: string; at: Date; ip: string; network: string; sessionsUrl: string },
): OutgoingMail {
  return {
    to,
    subject: `New sign-in from ${sign.country}`,
    text: `Your ImageBot account was signed in to from ${sign.country}, a country it has not been used from in the last 30 days.\n\nWhen: ${sign.at.toISOString()}\nIP address: ${sign.ip}\nNetwork: ${sign.network}\n\nIf this was not you, open ${sign.sessionsUrl} and choose "Sign out all other sessions" (or sign that one out), then change your password.${signature}`,
  };
}

export function passwordChangedMail(to: string): OutgoingMail {
  return {
    to,
    subject: "Your ImageBot password was changed",
    text: `The password of your ImageBot account was just changed, and your other sessions were signed out.\n\nIf this was not you, reset your password at once with "Forgot password".${signature}`,
  };
}

export function passwordResetCompletedMail(to: string, liveKeys: ApiKeyNotice[]): OutgoingMail {
  return {
    to,
    subject: "Your ImageBot password was reset",
    text: `The password of your ImageBot account was reset, and every session was signed out.${passwordResetKeysNotice(liveKeys)}\n\nIf this was not you, reset your password again at once and contact support.${signature}`,
  };
}

/**
 * Text a stranger chose (a team name), made inert for a plain-text mail: control characters
 * and line breaks become spaces (no forged paragraphs), and whatever a mail client could turn into
 * a link is defanged the way security reports do it, `https://evil.example/login` becoming
 * `https[:]//evil[.]example/login`: no scheme (`://`), no dotted host (any full stop, also the
 * full-width and ideographic ones), so no client finds a URL, domain or address in it. The
 * result is still readable and is shown between quotes, never as the link text.
 */
export function inertText(value: string): string {
  return value
    .replace(/[\p{Cc}\p{Zl}\p{Zp}]+/gu, " ")
    .replace(/:\/\//g, "[:]//")
    .replace(/[.\u3002\uFF0E\uFF61]/g, "[.]");
}

export function teamInvitationMail(to: string, teamName: string, role: string, acceptUrl: string): OutgoingMail {
  return {
    to,
    subject: "You are invited to an ImageBot team",
    // The team name is the inviter's words, so it is quoted and inert (see inertText); the only
    // link in the mail is ours, on a line of its own. There is no HTML part to escape it in.
    text: `You are invited to join an ImageBot team as ${role}. The team's name, as its creator wrote it: "${inertText(teamName)}".\n\nSign in (or create an account) with this email address, then accept within 7 days:\n${acceptUrl}${signature}`,
  };
}

export function twoFactorDisabledMail(to: string): OutgoingMail {
  return {
    to,
    subject: "Two-factor authentication was turned off",
    text: `Two-factor authentication was just turned off for your ImageBot account.\n\nIf this was not you, reset your password at once and turn it back on.${signature}`,
  };
}

export function backupCodeUsedMail(to: string, remaining: number): OutgoingMail {
  return {
    to,
    subject: "A backup code was used to sign in",
    text: `A backup code was just used to sign in to your ImageBot account. ${remaining} unused backup codes are left.\n\nIf this was not you, reset your password at once.${signature}`,
  };
}

export function emailVerificationMail(to: string, verifyUrl: string): OutgoingMail {
  return {
    to,
    subject: "Verify your ImageBot email address",
    text: `Please confirm that this address belongs to your ImageBot account. Until it is confirmed, the account cannot create API keys or send or accept team invitations.\n\nOpen this link within 24 hours:\n${verifyUrl}\n\nIf you did not create an ImageBot account, someone else used your address: ignore this mail, or take the account over with "Forgot password".${signature}`,
  };
}

export function emailChangeConfirmationMail(to: string, verifyUrl: string): OutgoingMail {
  return {
    to,
    subject: "Confirm your new ImageBot email address",
    text: `Someone asked to make this the email address of an ImageBot account. The change happens only when this link is opened (within 24 hours):\n${verifyUrl}\n\nIf this was not you, ignore this mail: nothing changes.${signature}`,
  };
}

export function emailChangeRequestedMail(to: string, newEmail: string): OutgoingMail {
  return {
    to,
    subject: "Your ImageBot email address is about to change",
    text: `Someone signed in to your ImageBot account asked to change its email address to ${newEmail}. The change happens only when the link mailed to that address is opened.\n\nIf this was not you, reset your password at once with "Forgot password": that cancels the change.${signature}`,
  };
}

export interface ApiKeyNotice {
  name: string;
  prefix: string;
  lastFour: string;
}

export function apiKeyCreatedMail(to: string, key: { name: string; scopes: string[] }, clientIp: string): OutgoingMail {
  return {
    to,
    subject: "A new API key was created for your ImageBot account",
    text: `An API key was just created for your ImageBot account.\n\nName: ${key.name}\nScopes: ${key.scopes.join(", ")}\nIP address: ${clientIp}\n\nIf this was not you, revoke the key in your account settings and reset your password at once.${signature}`,
  };
}

/**
 * A new way into the account (a passkey, a linked provider account): one the owner did not add,
 * for instance by someone holding a stolen session, would otherwise go unseen.
 */
export function signInMethodAddedMail(to: string, method: string, clientIp: string): OutgoingMail {
  return {
    to,
    subject: "A new way to sign in was added to your ImageBot account",
    text: `${method} can now sign in to your ImageBot account.\n\nIP address: ${clientIp}\n\nIf this was not you, remove it in the console (Passkeys, or Sign-in methods), sign out every session and reset your password at once.${signature}`,
  };
}

/** The reset notice with the keys that survived it: a key made by someone else would otherwise go unseen. */
export function passwordResetKeysNotice(liveKeys: ApiKeyNotice[]): string {
  if (liveKeys.length === 0) return "\n\nNo API key of this account is alive.";
  const lines = liveKeys.map((key) => `- ${key.name} (${key.prefix}…${key.lastFour})`);
  return `\n\nThese API keys are still alive and keep working; revoke any you do not recognise:\n${lines.join("\n")}`;
}
