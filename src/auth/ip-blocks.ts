import type { Context } from "hono";
import { IpBlockSet } from "../domain/ip-blocks";
import type { IpBlockSnapshot, SnapshotAnswer } from "../durable-objects/ip-block-list";
import type { AppEnv, Bindings } from "../env";
import { withIpBlockList } from "../services/guard-client";

/**
 * This isolate's copy of the active IP blocks (API.md: "a block reaches every location within
 * 5 s, at once where it was made"). A copy older than REFRESH_AFTER_MS is refreshed in the
 * background, so busy isolates never make a request wait for it; one older than MAX_AGE_MS is
 * never used: the request waits for a fresh one, and is refused (503) if the list cannot be
 * read. Ages count from when the read was sent, so the bound holds whatever the read's latency.
 */
export const BLOCKS_MAX_AGE_MS = 5_000;
const REFRESH_AFTER_MS = 2_000;

let current: { version: number; blocks: IpBlockSet; readAt: number } | undefined;
/** When this isolate's background refresh started (at most one at a time). */
let backgroundReadSince: number | undefined;

/** Takes a snapshot the isolate just got (from a read, or from the operator's own change). */
export function applyBlockSnapshot(snapshot: IpBlockSnapshot, readAt: number): void {
  // A read sent before the operator's change may answer after it: the newer copy wins.
  if (current && snapshot.version < current.version && readAt < current.readAt) return;
  current = { version: snapshot.version, blocks: new IpBlockSet(snapshot.blocks), readAt };
}

async function readBlockList(env: Bindings): Promise<void> {
  const readAt = Date.now();
  const answer: SnapshotAnswer = await withIpBlockList(env, (list) => list.snapshot(current?.version ?? null));
  if (!("unchanged" in answer)) applyBlockSnapshot(answer, readAt);
  else if (current && current.version === answer.version) current.readAt = Math.max(current.readAt, readAt);
}

/**
 * Whether an operator block covers the client's address, from a copy at most 5 s old. A request
 * never awaits a read that another request started (a promise resolved from another request's
 * context may never resume): a stale copy is read by the request that needs it.
 */
export async function isClientBlocked(c: Context<AppEnv>): Promise<boolean> {
  const now = Date.now();
  const age = current ? now - current.readAt : Number.POSITIVE_INFINITY;
  if (age >= BLOCKS_MAX_AGE_MS) {
    await readBlockList(c.env);
  } else if (
    age >= REFRESH_AFTER_MS &&
    (backgroundReadSince === undefined || now - backgroundReadSince >= BLOCKS_MAX_AGE_MS)
  ) {
    backgroundReadSince = now;
    c.executionCtx.waitUntil(
      readBlockList(c.env)
        .catch(() => undefined)
        .finally(() => {
          backgroundReadSince = undefined;
        }),
    );
  }
  return current?.blocks.isBlocked(c.get("clientIp"), now) ?? false;
}
