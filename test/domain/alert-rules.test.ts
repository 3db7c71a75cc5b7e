import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { retryDelayMs } from "../../src/domain/alert-delivery";
import type { AlertObservation } from "../../src/domain/alert-observation";
import { alertsFor, DEFAULT_ALERT_THRESHOLDS } from "../../src/domain/alert-rules";

const minute = Date.UTC(2026, 10, 30, 6, 0);
const quiet: AlertObservation = { minute, failedLogins: 0, keyRejections: 0, accounts: [], networks: [] };
const thresholds = DEFAULT_ALERT_THRESHOLDS;

describe("alertsFor", () => {
  it("a quiet minute raises nothing", () => {
    expect(alertsFor(quiet, thresholds)).toEqual([]);
  });

  it("service-wide failed logins and key rejections alert only above their thresholds (100, 50)", () => {
    expect(alertsFor({ ...quiet, failedLogins: 100, keyRejections: 50 }, thresholds)).toEqual([]);
    expect(alertsFor({ ...quiet, failedLogins: 101, keyRejections: 51 }, thresholds)).toEqual([
      { kind: "failed_logins_spike", subject: "service", observed: 101, threshold: 100, minute },
      { kind: "key_rejections_burst", subject: "service", observed: 51, threshold: 50, minute },
    ]);
  });

  it("an account failing from at least 10 addresses is under attack; a network against at least 10 accounts", () => {
    const observation: AlertObservation = {
      ...quiet,
      failedLogins: 60,
      accounts: [
        { account: "victim@example.com", failedLogins: 30, distinctAddresses: 10 },
        { account: "typo@example.com", failedLogins: 30, distinctAddresses: 9 },
      ],
      networks: [
        { network: "203.0.113.0/24", failedLogins: 40, distinctAccounts: 12 },
        { network: "2001:db8:1:2::/64", failedLogins: 20, distinctAccounts: 9 },
      ],
    };
    expect(alertsFor(observation, thresholds)).toEqual([
      { kind: "account_under_attack", subject: "victim@example.com", observed: 10, threshold: 10, minute },
      { kind: "network_under_attack", subject: "203.0.113.0/24", observed: 12, threshold: 10, minute },
    ]);
  });

  it("many failures on one account from a single address is not an account under attack (that is the lockout's)", () => {
    const observation = {
      ...quiet,
      failedLogins: 50,
      accounts: [{ account: "a@example.com", failedLogins: 50, distinctAddresses: 1 }],
    };
    expect(alertsFor(observation, thresholds)).toEqual([]);
  });

  const counts = fc.integer({ min: 0, max: 400 });
  const observations = fc.record({
    minute: fc.constant(minute),
    failedLogins: counts,
    keyRejections: counts,
    accounts: fc.array(
      fc.record({
        account: fc.emailAddress(),
        failedLogins: counts,
        distinctAddresses: fc.integer({ min: 0, max: 30 }),
      }),
      { maxLength: 8 },
    ),
    networks: fc.array(
      fc.record({
        network: fc.ipV4().map((ip) => `${ip}/24`),
        failedLogins: counts,
        distinctAccounts: fc.integer({ min: 0, max: 30 }),
      }),
      { maxLength: 8 },
    ),
  });
  const anyThresholds = fc.record({
    failedLoginsPerMinute: fc.integer({ min: 1, max: 300 }),
    accountAddresses: fc.integer({ min: 1, max: 30 }),
    networkAccounts: fc.integer({ min: 1, max: 30 }),
    keyRejectionsPerMinute: fc.integer({ min: 1, max: 300 }),
  });

  it("every alert names a count past its threshold and the minute; every count past one has its alert", () => {
    fc.assert(
      fc.property(observations, anyThresholds, (observation, limits) => {
        const alerts = alertsFor(observation, limits);
        const key = (kind: string, subject: string) => `${kind} ${subject}`;
        const expected = [
          ...(observation.failedLogins > limits.failedLoginsPerMinute ? [key("failed_logins_spike", "service")] : []),
          ...observation.accounts
            .filter((entry) => entry.distinctAddresses >= limits.accountAddresses)
            .map((entry) => key("account_under_attack", entry.account)),
          ...observation.networks
            .filter((entry) => entry.distinctAccounts >= limits.networkAccounts)
            .map((entry) => key("network_under_attack", entry.network)),
          ...(observation.keyRejections > limits.keyRejectionsPerMinute
            ? [key("key_rejections_burst", "service")]
            : []),
        ];
        expect(alerts.map((alert) => key(alert.kind, alert.subject))).toEqual(expected);
        for (const alert of alerts) {
          expect(alert.minute).toBe(minute);
          if (alert.subject === "service") expect(alert.observed).toBeGreaterThan(alert.threshold);
          else expect(alert.observed).toBeGreaterThanOrEqual(alert.threshold);
        }
      }),
    );
  });

  it("raising a threshold never raises more alerts", () => {
    fc.assert(
      fc.property(observations, anyThresholds, fc.integer({ min: 0, max: 50 }), (observation, limits, extra) => {
        const stricter = {
          failedLoginsPerMinute: limits.failedLoginsPerMinute + extra,
          accountAddresses: limits.accountAddresses + extra,
          networkAccounts: limits.networkAccounts + extra,
          keyRejectionsPerMinute: limits.keyRejectionsPerMinute + extra,
        };
        expect(alertsFor(observation, stricter).length).toBeLessThanOrEqual(alertsFor(observation, limits).length);
      }),
    );
  });
});

describe("retryDelayMs", () => {
  it("doubles from 30 s and gives up after the eighth attempt (about an hour in all)", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map(retryDelayMs);
    expect(delays).toEqual([30_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000]);
    expect(retryDelayMs(8)).toBeNull();
  });
});
