import { describe, expect, it } from "vitest";
import {
  currentOccurrence,
  nextOccurrence,
  parseClock,
  windowLengthSeconds,
  assertTimeZone,
} from "./window.js";
import {
  effectiveIntervalSeconds,
  jitterFraction,
  planSlots,
  type PacingSpec,
  type PacingState,
} from "./slots.js";

const FORTALEZA = "America/Fortaleza"; // UTC-3 all year
const weekdays = [1, 2, 3, 4, 5];
const office = { timeZone: FORTALEZA, start: "08:00", end: "18:00" };
const night = { timeZone: FORTALEZA, start: "22:00", end: "02:00" };

const at = (iso: string) => new Date(iso);

describe("parseClock", () => {
  it.each([
    ["00:00", { hour: 0, minute: 0 }],
    ["08:30", { hour: 8, minute: 30 }],
    ["23:59", { hour: 23, minute: 59 }],
  ])("reads %s", (text, expected) => expect(parseClock(text)).toEqual(expected));

  it.each(["24:00", "8:00", "08:60", "0800", "", "ab:cd"])("refuses %j", (text) => {
    expect(() => parseClock(text)).toThrow(/HH:MM/);
  });
});

describe("time zones", () => {
  it("accepts IANA names and refuses unknown ones", () => {
    expect(() => assertTimeZone("America/Fortaleza")).not.toThrow();
    expect(() => assertTimeZone("America/Fortaleeza")).toThrow(/Unknown time zone/);
  });
});

describe("windowLengthSeconds", () => {
  it.each([
    ["08:00", "18:00", 10 * 3600],
    ["22:00", "02:00", 4 * 3600],
    ["08:00", "08:00", 24 * 3600],
    ["23:30", "00:15", 45 * 60],
  ])("%s to %s lasts %i s", (start, end, seconds) => {
    expect(windowLengthSeconds({ start, end })).toBe(seconds);
  });
});

describe("effectiveIntervalSeconds", () => {
  it.each([
    ["window ÷ quota (the Celery example: 08-18 h, 50 a day)", { dailyQuota: 50 }, 720],
    ["never under 5 s", { dailyQuota: 10_000 }, 5],
    ["an explicit interval", { dailyQuota: 50, intervalSeconds: 60 }, 60],
    ["an explicit interval under 5 s is raised to 5 s", { dailyQuota: 50, intervalSeconds: 2 }, 5],
  ])("%s", (_name, spec, expected) => {
    expect(effectiveIntervalSeconds({ window: office, ...spec })).toBe(expected);
  });
});

describe("currentOccurrence and nextOccurrence", () => {
  it.each([
    ["08:00 local is inside (the start is inclusive)", office, "2026-11-30T11:00:00Z", "2026-11-30"],
    ["17:59 local is inside", office, "2026-11-30T20:59:00Z", "2026-11-30"],
    ["18:00 local is outside (the end is exclusive)", office, "2026-11-30T21:00:00Z", undefined],
    ["07:59 local is outside", office, "2026-11-30T10:59:00Z", undefined],
    ["23:00 local is inside a window crossing midnight", night, "2026-12-01T02:00:00Z", "2026-11-30"],
    [
      "01:30 local belongs to the occurrence that started the day before",
      night,
      "2026-12-01T04:30:00Z",
      "2026-11-30",
    ],
    ["02:00 local is outside", night, "2026-12-01T05:00:00Z", undefined],
    [
      "a Saturday is outside a weekdays-only window",
      { ...office, daysOfWeek: weekdays },
      "2026-11-28T12:00:00Z",
      undefined,
    ],
  ])("%s", (_name, window, nowIso, day) => {
    expect(currentOccurrence(at(nowIso), window)?.day).toBe(day);
  });

  it("opens next on Monday 08:00 local after a Friday evening in a weekdays-only window", () => {
    const next = nextOccurrence(at("2026-11-27T22:00:00Z"), { ...office, daysOfWeek: weekdays });
    expect(next?.opensAt.toISOString()).toBe("2026-11-30T11:00:00.000Z");
    expect(next?.day).toBe("2026-11-30");
  });

  it("keeps wall-clock times across a daylight-saving change", () => {
    const newYork = { timeZone: "America/New_York", start: "09:00", end: "17:00" };
    // 2026-03-08 is the spring-forward day in New York: 09:00 is UTC-4 that day, UTC-5 the day before.
    expect(nextOccurrence(at("2026-03-07T15:00:00Z"), newYork)?.opensAt.toISOString()).toBe(
      "2026-03-08T13:00:00.000Z",
    );
    expect(currentOccurrence(at("2026-03-07T14:30:00Z"), newYork)?.opensAt.toISOString()).toBe(
      "2026-03-07T14:00:00.000Z",
    );
  });
});

describe("planSlots", () => {
  const spec: PacingSpec = { window: office, dailyQuota: 50 };
  const base: PacingState = { now: at("2026-11-30T12:00:00Z"), usedToday: 0, seed: "uid-1", slotIndex: 0 };

  it("starts now and spaces sends by the interval", () => {
    const plan = planSlots(spec, base, 3);
    expect(plan.pauseReason).toBeUndefined();
    expect(plan.slots.map((s) => s.at.toISOString())).toEqual([
      "2026-11-30T12:00:00.000Z",
      "2026-11-30T12:12:00.000Z",
      "2026-11-30T12:24:00.000Z",
    ]);
    expect(plan.slots.every((s) => s.quotaDay === "2026-11-30")).toBe(true);
    expect(plan.wakeAt?.toISOString()).toBe("2026-11-30T12:24:00.000Z");
  });

  it("keeps the interval after the last planned send, even across a restart", () => {
    const plan = planSlots(spec, { ...base, lastSlotAt: at("2026-11-30T11:55:00Z") }, 1);
    expect(plan.slots[0]?.at.toISOString()).toBe("2026-11-30T12:07:00.000Z");
  });

  it("plans no more than the quota left today", () => {
    const plan = planSlots(
      { ...spec, intervalSeconds: 5 },
      { ...base, usedToday: 48, quotaDay: "2026-11-30" },
      10,
    );
    expect(plan.slots).toHaveLength(2);
  });

  it("pauses with DailyQuotaReached and wakes at the next window when the quota is used", () => {
    const plan = planSlots(spec, { ...base, usedToday: 50, quotaDay: "2026-11-30" }, 10);
    expect(plan).toMatchObject({ slots: [], pauseReason: "DailyQuotaReached" });
    expect(plan.wakeAt?.toISOString()).toBe("2026-12-01T11:00:00.000Z");
  });

  it("counts the quota per day: yesterday's sends do not count today", () => {
    const plan = planSlots(spec, { ...base, usedToday: 50, quotaDay: "2026-11-29" }, 1);
    expect(plan.slots).toHaveLength(1);
  });

  it("pauses with OutsideWindow before the window opens, waking when it opens", () => {
    const plan = planSlots(spec, { ...base, now: at("2026-11-30T09:00:00Z") }, 5);
    expect(plan).toMatchObject({ slots: [], pauseReason: "OutsideWindow" });
    expect(plan.wakeAt?.toISOString()).toBe("2026-11-30T11:00:00.000Z");
  });

  it("never plans a send at or after the window's end", () => {
    const plan = planSlots(spec, { ...base, now: at("2026-11-30T20:50:00Z") }, 5);
    expect(plan.slots.map((s) => s.at.toISOString())).toEqual(["2026-11-30T20:50:00.000Z"]);
  });

  it("reports OutsideWindow when the next gap would end past the window", () => {
    const plan = planSlots(
      spec,
      { ...base, now: at("2026-11-30T20:55:00Z"), lastSlotAt: at("2026-11-30T20:50:00Z") },
      5,
    );
    expect(plan).toMatchObject({ slots: [], pauseReason: "OutsideWindow" });
    expect(plan.wakeAt?.toISOString()).toBe("2026-12-01T11:00:00.000Z");
  });

  it("waits for startTime", () => {
    const startTime = at("2026-12-02T11:30:00Z");
    const plan = planSlots({ ...spec, startTime }, base, 5);
    expect(plan).toMatchObject({ slots: [], pauseReason: "NotStarted", wakeAt: startTime });
  });

  it("ends the campaign durationDays after it first started, whatever resumes happened", () => {
    const plan = planSlots(
      { ...spec, durationDays: 2 },
      { ...base, firstStartedAt: at("2026-11-28T12:00:00Z") },
      5,
    );
    expect(plan).toMatchObject({ slots: [], pauseReason: "DurationReached" });
    const before = planSlots(
      { ...spec, durationDays: 3 },
      { ...base, firstStartedAt: at("2026-11-28T12:00:00Z") },
      1,
    );
    expect(before.slots).toHaveLength(1);
    expect(before.endsAt?.toISOString()).toBe("2026-12-01T12:00:00.000Z");
  });

  it("spreads gaps by a deterministic jitter within ±jitterPercent, so re-planning gives the same times", () => {
    const jittered = { ...spec, intervalSeconds: 60, jitterPercent: 20 };
    const state = { ...base, lastSlotAt: at("2026-11-30T11:59:00Z") };
    const first = planSlots(jittered, state, 8);
    expect(planSlots(jittered, state, 8).slots).toEqual(first.slots);
    let previous = at("2026-11-30T11:59:00Z").getTime();
    const gaps: number[] = [];
    for (const slot of first.slots) {
      gaps.push(slot.at.getTime() - previous);
      previous = slot.at.getTime();
    }
    // The first slot may be "now" when the gap since the last one already passed.
    for (const gap of gaps.slice(1)) {
      expect(gap).toBeGreaterThanOrEqual(48_000);
      expect(gap).toBeLessThanOrEqual(72_000);
    }
    expect(new Set(gaps.slice(1)).size).toBeGreaterThan(1);
  });

  it("never lets jitter bring a gap under 5 s", () => {
    const plan = planSlots({ ...spec, intervalSeconds: 5, jitterPercent: 50 }, base, 20);
    for (let i = 1; i < plan.slots.length; i++) {
      expect(plan.slots[i]!.at.getTime() - plan.slots[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(5_000);
    }
  });

  it("gives jitter fractions in [0, 1)", () => {
    for (let i = 0; i < 1000; i++) {
      const f = jitterFraction("seed", i);
      expect(f).toBeGreaterThanOrEqual(0);
      expect(f).toBeLessThan(1);
    }
  });
});
