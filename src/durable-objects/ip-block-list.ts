import { DurableObject } from "cloudflare:workers";
import * as z from "zod";
import { blockRangeOf, type IpBlockEntry } from "../domain/ip-blocks";
import type { Bindings } from "../env";
import { parseArgument } from "./rpc-arguments";

/** Every version of the list, whole: what an isolate caches (ARCHITECTURE.md "the shape"). */
export interface IpBlockSnapshot {
  version: number;
  blocks: IpBlockEntry[];
}
export type SnapshotAnswer = IpBlockSnapshot | { version: number; unchanged: true };

/** A bound on what every isolate holds in memory and matches requests against. */
export const MAX_ACTIVE_BLOCKS = 10_000;

const rangeSchema = z.string().refine((range) => blockRangeOf(range) === range, "not a normalised range");
const untilSchema = z.int().positive().nullable();

/**
 * The one list of active operator blocks (addresses and CIDR ranges), with a version that grows
 * on every change. One instance (`global`). Isolates read it at most once every few seconds and
 * only ask for the list when the version moved, so a block costs no Durable Object call per
 * request; the IP guards keep each single address's block too, for their own admission.
 */
export class IpBlockList extends DurableObject<Bindings> {
  /** The clock; tests replace it to let a block run out without waiting. */
  now: () => number = () => Date.now();
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: Bindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec("CREATE TABLE IF NOT EXISTS blocks (range TEXT PRIMARY KEY, until INTEGER)");
    this.sql.exec(
      "CREATE TABLE IF NOT EXISTS list_version (id INTEGER PRIMARY KEY CHECK (id = 1), version INTEGER NOT NULL)",
    );
  }

  /** Adds or replaces a block. Refused (`full`) when MAX_ACTIVE_BLOCKS are active already. */
  async block(
    range: string,
    until: number | null,
  ): Promise<{ outcome: "blocked" | "full"; snapshot: IpBlockSnapshot }> {
    const target = parseArgument(rangeSchema, range, "range");
    const expiry = parseArgument(untilSchema, until, "block expiry");
    this.dropExpired();
    const count = this.sql.exec<{ n: number }>("SELECT count(*) AS n FROM blocks WHERE range <> ?", target).one().n;
    if (count >= MAX_ACTIVE_BLOCKS) return { outcome: "full", snapshot: this.snapshotNow() };
    this.sql.exec(
      "INSERT INTO blocks (range, until) VALUES (?, ?) ON CONFLICT (range) DO UPDATE SET until = excluded.until",
      target,
      expiry,
    );
    this.bumpVersion();
    await this.scheduleNextExpiry();
    return { outcome: "blocked", snapshot: this.snapshotNow() };
  }

  /** Lifts a block; says whether one was active. */
  async unblock(range: string): Promise<{ wasBlocked: boolean; snapshot: IpBlockSnapshot }> {
    const target = parseArgument(rangeSchema, range, "range");
    this.dropExpired();
    const removed = this.sql.exec("DELETE FROM blocks WHERE range = ? RETURNING range", target).toArray().length > 0;
    if (removed) this.bumpVersion();
    return { wasBlocked: removed, snapshot: this.snapshotNow() };
  }

  /** The list, or only `unchanged` when the caller already holds `knownVersion`. */
  async snapshot(knownVersion: number | null): Promise<SnapshotAnswer> {
    const version = this.version();
    if (knownVersion === version) return { version, unchanged: true };
    return this.snapshotNow();
  }

  override async alarm(): Promise<void> {
    this.dropExpired();
    await this.scheduleNextExpiry();
  }

  private snapshotNow(): IpBlockSnapshot {
    const blocks = this.sql.exec<{ range: string; until: number | null }>("SELECT range, until FROM blocks").toArray();
    return { version: this.version(), blocks: blocks.map(({ range, until }) => ({ range, until })) };
  }

  private version(): number {
    return (
      this.sql.exec<{ version: number }>("SELECT version FROM list_version WHERE id = 1").toArray()[0]?.version ?? 0
    );
  }

  private bumpVersion(): void {
    this.sql.exec(
      "INSERT INTO list_version (id, version) VALUES (1, 1) ON CONFLICT (id) DO UPDATE SET version = version + 1",
    );
  }

  private dropExpired(): void {
    const dropped = this.sql.exec(
      "DELETE FROM blocks WHERE until IS NOT NULL AND until <= ? RETURNING range",
      this.now(),
    );
    if (dropped.toArray().length > 0) this.bumpVersion();
  }

  private async scheduleNextExpiry(): Promise<void> {
    const next = this.sql.exec<{ at: number | null }>("SELECT min(until) AS at FROM blocks").one().at;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }
}
