/**
 * An exact rolling window: at most `limit` events in ANY span of `windowMs`, not a fixed window
 * that lets 2x through at a boundary. State is the times of the admitted events still inside
 * the window, so it never holds more than `limit` entries.
 */
export interface WindowPolicy {
  limit: number;
  windowMs: number;
}

export type WindowDecision =
  | { admitted: true; events: number[]; remaining: number; resetMs: number }
  | { admitted: false; events: number[]; retryAfterMs: number };

/** Drops events that have left the window ending at `now`. */
export function pruneWindow(events: readonly number[], now: number, windowMs: number): number[] {
  return events.filter((at) => at > now - windowMs && at <= now);
}

/** Admits one event at `now` if the window has room; a refusal changes nothing. */
export function admitToWindow(events: readonly number[], now: number, policy: WindowPolicy): WindowDecision {
  const kept = pruneWindow(events, now, policy.windowMs).sort((a, b) => a - b);
  if (kept.length >= policy.limit) {
    // A slot frees when the oldest event that still fills the window leaves it.
    const oldest = kept[kept.length - policy.limit] as number;
    return { admitted: false, events: kept, retryAfterMs: oldest + policy.windowMs - now };
  }
  const admitted = [...kept, now];
  const first = admitted[0] as number;
  return {
    admitted: true,
    events: admitted,
    remaining: policy.limit - admitted.length,
    resetMs: first + policy.windowMs - now,
  };
}
