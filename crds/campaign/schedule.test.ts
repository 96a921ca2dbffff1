import { describe, expect, it } from "vitest";
import { effectiveIntervalMs, windowMinutes } from "./schedule.js";

describe("windowMinutes", () => {
  it.each([
    ["08:00", "18:00", 600],
    ["20:00", "06:00", 600],
    ["00:00", "23:59", 1439],
    ["23:59", "00:00", 1],
  ])("%s to %s is %i minutes", (start, end, minutes) => {
    expect(windowMinutes({ start, end })).toBe(minutes);
  });
});

describe("effectiveIntervalMs", () => {
  const window = { start: "08:00", end: "18:00" };

  it("divides the window by the quota, in whole seconds (08-18 h at 50 a day: 720 s)", () => {
    expect(effectiveIntervalMs({ window, dailyQuota: 50 })).toBe(720_000);
    expect(effectiveIntervalMs({ window, dailyQuota: 7 })).toBe(5_142_000);
  });

  it("never goes under 5 s", () => {
    expect(effectiveIntervalMs({ window, dailyQuota: 10_000 })).toBe(5_000);
  });

  it("uses the explicit interval when there is one", () => {
    expect(effectiveIntervalMs({ window, dailyQuota: 50, interval: "1m30s" })).toBe(90_000);
  });
});
