import type { AlertObservation } from "../domain/alert-observation";
import { alertsFor } from "../domain/alert-rules";
import { alertDesk, type RaiseOutcome } from "../durable-objects/alert-desk";
import { alertThresholdsOf, type Bindings, type Config } from "../env";

/**
 * What the security monitor calls once a minute has closed: the rules decide, the desk
 * de-duplicates, stores and delivers. One call at a time, in the rules' order, so the outcomes
 * line up with the alerts (and a quiet minute costs no call at all).
 */
export async function raiseAlertsFor(
  env: Pick<Bindings, "ALERT_DESK">,
  config: Config,
  observation: AlertObservation,
  now: number,
): Promise<RaiseOutcome[]> {
  const alerts = alertsFor(observation, alertThresholdsOf(config));
  if (alerts.length === 0) return [];
  const desk = alertDesk(env);
  const outcomes: RaiseOutcome[] = [];
  for (const alert of alerts) outcomes.push(await desk.raise(alert, now));
  return outcomes;
}
