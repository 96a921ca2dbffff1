import { describe, expect, it } from "vitest";
import { parseDuration } from "./duration.js";
import { isCronExpression } from "./cron.js";

describe("parseDuration", () => {
  it.each([
    ["24h", 86_400_000],
    ["1h30m", 5_400_000],
    ["90s", 90_000],
    ["0s", 0],
    ["2h0m5s", 7_205_000],
  ])("%s is %i ms", (text, ms) => {
    expect(parseDuration(text)).toBe(ms);
  });

  it.each(["", "1d", "1.5h", "5 min", "30m1h", "-5s", "100000h"])("refuses %j", (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });
});

describe("isCronExpression", () => {
  it("reads the fields in cron order", () => {
    expect(isCronExpression("59 23 31 12 6")).toBe(true);
    expect(isCronExpression("23 59 31 12 6")).toBe(false);
  });
});
