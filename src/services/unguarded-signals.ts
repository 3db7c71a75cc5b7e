import type { Context } from "hono";
import { signalContext } from "../auth/signal-context";
import { MAX_SIGNAL_BATCH, minuteOf, type SignalCount, type SignalKind } from "../domain/security-signals";
import { securityMonitor } from "../durable-objects/security-monitor";
import { serviceRows } from "../durable-objects/signal-counter";
import type { AppEnv, Bindings } from "../env";

/**
 * How often an isolate hands the monitor the signals no guard saw (a request refused from the
 * isolate's copy of the IP blocks, or by the shield): at most once per interval, one call with
 * every pending count. Best effort: counts held when the isolate goes are lost, which only
 * under-reports a flood the guards never had to see.
 */
export const UNGUARDED_FLUSH_INTERVAL_MS = 2_000;

const pending = new Map<string, SignalCount>();
let lastFlushAt = 0;
let flushScheduled = false;

/** Counts a signal no guard sees; the isolate sends its counts to the monitor within a few seconds. */
export function reportUnguardedSignal(c: Context<AppEnv>, kind: SignalKind): void {
  const now = Date.now();
  for (const row of serviceRows([kind], signalContext(c))) {
    const key = `${minuteOf(now)}\u0000${row.dimension}\u0000${row.subject}\u0000${kind}`;
    const held = pending.get(key);
    if (held) held.count += 1;
    else if (pending.size < MAX_SIGNAL_BATCH) pending.set(key, { minute: minuteOf(now), ...row, count: 1 });
  }
  if (flushScheduled) return;
  flushScheduled = true;
  const delay = Math.max(0, lastFlushAt + UNGUARDED_FLUSH_INTERVAL_MS - now);
  const env = c.env;
  c.executionCtx.waitUntil(new Promise((resolve) => setTimeout(resolve, delay)).then(() => flush(env)));
}

async function flush(env: Bindings): Promise<void> {
  const rows = [...pending.values()];
  pending.clear();
  flushScheduled = false;
  lastFlushAt = Date.now();
  try {
    await securityMonitor(env).record(rows);
  } catch (error) {
    console.error(`security monitor unavailable: ${error instanceof Error ? error.name : "unknown"}`);
  }
}
