import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { IpBlockList } from "../../src/durable-objects/ip-block-list";
import { env } from "../helpers/api";

const listNamed = (name: string) => env.IP_BLOCK_LIST.get(env.IP_BLOCK_LIST.idFromName(name));

describe("IpBlockList", () => {
  it("moves its version on every change and answers `unchanged` to a caller that is up to date", async () => {
    const list = listNamed("versions");
    const first = await list.block("203.0.113.0/24", null);
    const second = await list.block("198.51.100.7/32", null);
    expect(second.snapshot.version).toBeGreaterThan(first.snapshot.version);
    expect(await list.snapshot(second.snapshot.version)).toEqual({ version: second.snapshot.version, unchanged: true });
    const lifted = await list.unblock("203.0.113.0/24");
    expect(lifted.wasBlocked).toBe(true);
    expect(await list.snapshot(second.snapshot.version)).toEqual({
      version: lifted.snapshot.version,
      blocks: [{ range: "198.51.100.7/32", until: null }],
    });
    expect((await list.unblock("203.0.113.0/24")).wasBlocked).toBe(false);
  });

  it("drops expired blocks in its alarm and moves the version", async () => {
    const list = listNamed("expiry");
    const until = Date.now() + 60_000;
    const { snapshot } = await list.block("192.0.2.0/24", until);
    await runInDurableObject(list as unknown as DurableObjectStub, (instance) => {
      (instance as unknown as IpBlockList).now = () => until;
    });
    expect(await runDurableObjectAlarm(list)).toBe(true);
    const after = await list.snapshot(snapshot.version);
    expect(after).toEqual({ version: snapshot.version + 1, blocks: [] });
  });
});
