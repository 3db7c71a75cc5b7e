import { describe, expect, it } from "vitest";
import { toSeconds } from "../../src/domain/seconds";

describe("toSeconds", () => {
  it("rounds a wait up to whole seconds and never says 0", () => {
    expect([0, 1, 999, 1000, 1001, 3_600_000].map(toSeconds)).toEqual([1, 1, 1, 1, 2, 3600]);
  });
});
