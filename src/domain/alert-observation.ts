/**
 * What the security monitor has seen in one minute, as the alert rules read it (API.md "Alerts").
 * The monitor builds it from the guards' rolled-up signals; the rules decide from it alone, so they
 * stay pure functions of (observation, thresholds).
 */
export interface AlertObservation {
  /** Start of the minute, epoch milliseconds. */
  minute: number;
  /** Failed logins across the service in this minute (every path that checks a password or a second factor). */
  failedLogins: number;
  /** API keys rejected across the service in this minute (unknown, revoked, expired, outside the allowlist). */
  keyRejections: number;
  /** Accounts (normalised email) with failures in this minute, and how many distinct client addresses failed on each. */
  accounts: readonly { account: string; failedLogins: number; distinctAddresses: number }[];
  /** Networks (/24 or /64) with failures in this minute, and how many distinct accounts each failed against. */
  networks: readonly { network: string; failedLogins: number; distinctAccounts: number }[];
}

/** The kinds of alert; with the subject they name the alert, and one kind and subject alert at most once per 10 min. */
export type AlertKind =
  | "failed_logins_spike"
  | "account_under_attack"
  | "network_under_attack"
  | "key_rejections_burst";

/** One alert the rules raise; `subject` is "service", an account's normalised email or a network (CIDR). */
export interface AlertInput {
  kind: AlertKind;
  subject: string;
  /** What was counted, and the threshold it passed. */
  observed: number;
  threshold: number;
  /** Start of the minute in which it passed, epoch milliseconds. */
  minute: number;
}
