import type { AlertInput, AlertObservation } from "../domain/alert-observation";
import { alertsFor } from "../domain/alert-rules";
import { alertDesk, type RaiseOutcome } from "../durable-objects/alert-desk";
import { alertThresholdsOf, type Bindings, type Config } from "../env";

/**
 * What the security monitor calls after each batch of signals: the rules decide, the desk
 * de-duplicates, stores and delivers. One call at a time, in the rules' order (a quiet minute costs
 * no call at all). `skip` lets the caller leave out alerts it knows the desk has already (a hint
 * that saves calls during an attack; the desk's own de-duplication stays the rule).
 */
export async function raiseAlertsFor(
  env: Pick<Bindings, "ALERT_DESK">,
  config: Config,
  observation: AlertObservation,
  now: number,
  skip: (alert: AlertInput) => boolean = () => false,
): Promise<{ alert: AlertInput; outcome: RaiseOutcome }[]> {
  const alerts = alertsFor(observation, alertThresholdsOf(config)).filter((alert) => !skip(alert));
  if (alerts.length === 0) return [];
  const desk = alertDesk(env);
  const raised: { alert: AlertInput; outcome: RaiseOutcome }[] = [];
  for (const alert of alerts) raised.push({ alert, outcome: await desk.raise(alert, now) });
  return raised;
}
