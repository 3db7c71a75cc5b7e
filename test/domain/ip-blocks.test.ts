import { describe, expect, it } from "vitest";
import { blockRangeOf, IpBlockSet } from "../../src/domain/ip-blocks";

describe("blockRangeOf", () => {
  it.each([
    ["203.0.113.7", "203.0.113.7/32"],
    ["203.0.113.7/24", "203.0.113.0/24"],
    ["::ffff:203.0.113.7", "203.0.113.7/32"],
    ["2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"],
    ["2001:db8:1:2::/96", "2001:db8:1:2::/64"],
    ["2001:DB8::/32", "2001:db8::/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
  ])("%s covers %s", (target, range) => {
    expect(blockRangeOf(target)).toBe(range);
  });

  it.each(["10.1", "10.1/8", "0x0a.0.0.1", "10.0.0.0/33", "2001:db8::/129", "::ffff:10.0.0.0/104", "a.b.c.d", ""])(
    "refuses %j",
    (target) => {
      expect(blockRangeOf(target)).toBeNull();
    },
  );
});

describe("IpBlockSet", () => {
  const now = 1_000_000;
  const blocks = new IpBlockSet([
    { range: "198.51.100.0/24", until: null },
    { range: "203.0.113.9/32", until: now + 1 },
    { range: "2001:db8:5:6::/64", until: null },
    { range: "192.0.2.0/24", until: now },
  ]);

  it.each([
    ["198.51.100.200", true],
    ["198.51.101.1", false],
    ["203.0.113.9", true],
    ["::ffff:203.0.113.9", true],
    ["2001:db8:5:6:ffff::1", true],
    ["2001:db8:5:7::1", false],
    ["192.0.2.1", false],
    ["unknown", false],
  ])("%s blocked: %s", (ip, blocked) => {
    expect(blocks.isBlocked(ip, now)).toBe(blocked);
  });

  it("a block stops at its expiry", () => {
    expect(blocks.isBlocked("203.0.113.9", now + 1)).toBe(false);
  });
});
