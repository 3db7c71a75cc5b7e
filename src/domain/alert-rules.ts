import type { AlertInput, AlertObservation } from "./alert-observation";

/** The thresholds of the alert rules (API.md "Alerts"), from the `ALERT_*` settings of src/env.ts. */
export interface AlertThresholds {
  /** Service-wide failed logins in one minute: more than this raises `failed_logins_spike`. */
  failedLoginsPerMinute: number;
  /** Distinct client addresses failing on one account in one minute: this many raise `account_under_attack`. */
  accountAddresses: number;
  /** Distinct accounts one network fails against in one minute: this many raise `network_under_attack`. */
  networkAccounts: number;
  /** Service-wide API key rejections in one minute: more than this raises `key_rejections_burst`. */
  keyRejectionsPerMinute: number;
}

export const DEFAULT_ALERT_THRESHOLDS: AlertThresholds = {
  failedLoginsPerMinute: 100,
  accountAddresses: 10,
  networkAccounts: 10,
  keyRejectionsPerMinute: 50,
};

/**
 * The alerts one minute's observation raises: service-wide counts "above" their threshold, one
 * account or network "at least" at its own (API.md wording). Pure: the same minute always raises
 * the same alerts, in a stable order (service, accounts, networks, keys); de-duplication across
 * minutes is the AlertDesk's.
 */
export function alertsFor(observation: AlertObservation, thresholds: AlertThresholds): AlertInput[] {
  const { minute } = observation;
  const alerts: AlertInput[] = [];
  if (observation.failedLogins > thresholds.failedLoginsPerMinute) {
    alerts.push({
      kind: "failed_logins_spike",
      subject: "service",
      observed: observation.failedLogins,
      threshold: thresholds.failedLoginsPerMinute,
      minute,
    });
  }
  for (const { account, distinctAddresses } of observation.accounts) {
    if (distinctAddresses >= thresholds.accountAddresses) {
      alerts.push({
        kind: "account_under_attack",
        subject: account,
        observed: distinctAddresses,
        threshold: thresholds.accountAddresses,
        minute,
      });
    }
  }
  for (const { network, distinctAccounts } of observation.networks) {
    if (distinctAccounts >= thresholds.networkAccounts) {
      alerts.push({
        kind: "network_under_attack",
        subject: network,
        observed: distinctAccounts,
        threshold: thresholds.networkAccounts,
        minute,
      });
    }
  }
  if (observation.keyRejections > thresholds.keyRejectionsPerMinute) {
    alerts.push({
      kind: "key_rejections_burst",
      subject: "service",
      observed: observation.keyRejections,
      threshold: thresholds.keyRejectionsPerMinute,
      minute,
    });
  }
  return alerts;
}
