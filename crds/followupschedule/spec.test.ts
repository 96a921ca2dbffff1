import { describe, expect, it } from "vitest";
import { DEFAULT_FOLLOW_UP_STEPS } from "../defaults.js";
import { formatIssues } from "../issues.js";
import { followUpScheduleSpecSchema } from "./spec.js";

const step = (name: string, afterFirstMessage: string, final = false) => ({
  name,
  afterFirstMessage,
  final,
  template: "Olá, {nome}!",
});

function refusal(spec: unknown): string {
  const result = followUpScheduleSpecSchema.safeParse(spec);
  if (result.success) throw new Error("the spec was accepted");
  return formatIssues(result.error);
}

describe("FollowUpSchedule spec", () => {
  it("defaults to 09:00 daily in Fortaleza with reminders at 24h and 72h and the slot released at 96h", () => {
    const spec = followUpScheduleSpecSchema.parse({});
    expect(spec.schedule).toBe("0 9 * * *");
    expect(spec.timeZone).toBe("America/Fortaleza");
    expect(spec.respectWindow).toBe(true);
    expect(spec.suspend).toBe(false);
    expect(spec.steps.map((s) => [s.afterFirstMessage, s.final])).toEqual([
      ["24h", false],
      ["72h", false],
      ["96h", true],
    ]);
    expect(spec.steps).toEqual(DEFAULT_FOLLOW_UP_STEPS);
  });

  it.each([
    ["delays equal", [step("a", "24h"), step("b", "24h", true)], "strictly increasing"],
    ["delays decreasing", [step("a", "72h"), step("b", "1h30m", true)], "strictly increasing"],
    ["two final steps", [step("a", "24h", true), step("b", "96h", true)], "only one step may be final"],
    ["no final step", [step("a", "24h"), step("b", "96h")], "last step must be final"],
    ["a duplicate name", [step("a", "24h"), step("a", "96h", true)], "Duplicate value"],
    ["a delay in days", [step("a", "4d", true)], "must be a duration"],
    ["a delay under an hour", [step("a", "30m", true)], "from 1h to 2160h"],
  ])("refuses steps with %s", (_what, steps, rule) => {
    expect(refusal({ steps })).toContain(rule);
  });

  it("compares delays as durations, not as text", () => {
    expect(
      followUpScheduleSpecSchema.safeParse({ steps: [step("a", "9h"), step("b", "10h", true)] }).success,
    ).toBe(true);
    expect(
      followUpScheduleSpecSchema.safeParse({ steps: [step("a", "90m"), step("b", "2h", true)] }).success,
    ).toBe(true);
  });

  it.each(["0 9 * * *", "*/30 8-20 * * 1-5", "0 9,14 1,15 JAN-JUN MON", "@daily", "0 0 * * 7"])(
    "accepts the cron expression %s",
    (schedule) => {
      expect(followUpScheduleSpecSchema.safeParse({ schedule }).success).toBe(true);
    },
  );

  it.each(["0 9 * *", "60 9 * * *", "0 24 * * *", "0 9 32 * *", "TZ=UTC 0 9 * * *", "@sometimes", ""])(
    "refuses the cron expression %j",
    (schedule) => {
      expect(refusal({ schedule })).toContain("schedule:");
    },
  );

  it("takes campaigns by selector or by names, not both", () => {
    expect(followUpScheduleSpecSchema.safeParse({ campaigns: { names: ["a"] } }).success).toBe(true);
    expect(
      followUpScheduleSpecSchema.safeParse({
        campaigns: { selector: { matchLabels: { fila: "cirurgica" } } },
      }).success,
    ).toBe(true);
    expect(refusal({ campaigns: { selector: {}, names: ["a"] } })).toContain(
      "exactly one of selector or names",
    );
    expect(refusal({ campaigns: {} })).toContain("exactly one of selector or names");
  });
});
