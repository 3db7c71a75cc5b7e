import type { Context } from "hono";
import { applyBlockSnapshot } from "../auth/ip-blocks";
import { blockRangeOf } from "../domain/ip-blocks";
import type { AppEnv } from "../env";
import { ApiError } from "../errors";
import { withIpBlockList, withIpGuard } from "./guard-client";

function rangeOf(target: string): string {
  const range = blockRangeOf(target);
  if (!range)
    throw new ApiError("validation_failed", { errors: [{ path: "ip", message: "is not an address or range" }] });
  return range;
}

/**
 * Blocks an address or range: the list every isolate caches first (this isolate applies it at
 * once, the others within 5 s), then, for a single address, its IP guard, which refuses its
 * requests without a valid credential in every location from the next one on. Both writes are
 * idempotent: an operator who got a 503 half-way repeats the call.
 */
export async function blockTarget(
  c: Context<AppEnv>,
  target: string,
  isAddress: boolean,
  block: { reason: string; until: number | null },
) {
  const readAt = Date.now();
  const result = await withIpBlockList(c.env, (list) => list.block(rangeOf(target), block.until));
  if (result.outcome === "full") {
    throw new ApiError("conflict", {
      detail: "Too many active blocks: lift or let some expire, or block a wider range.",
    });
  }
  applyBlockSnapshot(result.snapshot, readAt);
  if (isAddress) await withIpGuard(c.env, target, (guard) => guard.block(block.reason, block.until));
}

/** Lifts a block in both places; says whether it was active. */
export async function unblockTarget(c: Context<AppEnv>, target: string, isAddress: boolean): Promise<boolean> {
  const readAt = Date.now();
  const guardHadIt = isAddress ? await withIpGuard(c.env, target, (guard) => guard.unblock()) : false;
  const result = await withIpBlockList(c.env, (list) => list.unblock(rangeOf(target)));
  applyBlockSnapshot(result.snapshot, readAt);
  return result.wasBlocked || guardHadIt;
}
