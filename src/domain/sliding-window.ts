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

/** The first index of sorted `events` whose value is above `bound` (binary search). */
function firstAbove(events: readonly number[], bound: number): number {
  let low = 0;
  let high = events.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((events[middle] as number) > bound) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * Drops events that have left the window ending at `now` (and any after `now`, from a clock
 * that went back). `events` are in time order, as every function here returns them, so this is
 * two binary searches and one copy: a busy window holds thousands of entries.
 */
export function pruneWindow(events: readonly number[], now: number, windowMs: number): number[] {
  return events.slice(firstAbove(events, now - windowMs), firstAbove(events, now));
}

/** Admits one event at `now` if the window has room; a refusal changes nothing. `events` in time order. */
export function admitToWindow(events: readonly number[], now: number, policy: WindowPolicy): WindowDecision {
  const kept = pruneWindow(events, now, policy.windowMs);
  if (kept.length >= policy.limit) {
    // A slot frees when the oldest event that still fills the window leaves it.
    const oldest = kept[kept.length - policy.limit] as number;
    return { admitted: false, events: kept, retryAfterMs: oldest + policy.windowMs - now };
  }
  const admitted = kept;
  admitted.push(now);
  const first = admitted[0] as number;
  return {
    admitted: true,
    events: admitted,
    remaining: policy.limit - admitted.length,
    resetMs: first + policy.windowMs - now,
  };
}
