import { describe, expect, it } from "vitest";
import { desiredStatus, type StatusInputs } from "./status.js";

const t0 = new Date("2026-03-04T12:00:00Z");
const base: StatusInputs = {
  generation: 3,
  current: undefined,
  now: t0,
  cronJobName: "lembretes",
  cronJobStatus: { lastScheduleTime: "2026-03-04T12:00:00Z", lastSuccessfulTime: "2026-03-04T12:00:09Z" },
  suspended: false,
  problem: undefined,
  lastRun: undefined,
  campaigns: 2,
};
const conditions = (inputs: Partial<StatusInputs>) =>
  Object.fromEntries(
    (desiredStatus({ ...base, ...inputs }).conditions ?? []).map((c) => [c.type, [c.status, c.reason]]),
  );

describe("desiredStatus", () => {
  it("shows the CronJob, its times and the generation", () => {
    expect(desiredStatus(base)).toMatchObject({
      observedGeneration: 3,
      cronJobName: "lembretes",
      lastScheduleTime: "2026-03-04T12:00:00Z",
      lastSuccessfulTime: "2026-03-04T12:00:09Z",
    });
    expect(conditions({})).toEqual({
      CronJobReady: ["True", "CronJobInSync"],
      LastRunSucceeded: ["Unknown", "NotRunYet"],
      Ready: ["True", "Ready"],
    });
  });

  it.each<[string, Partial<StatusInputs>, Record<string, [string, string]>]>([
    ["suspended", { suspended: true }, { Ready: ["False", "Suspended"] }],
    ["no campaigns", { campaigns: 0 }, { Ready: ["True", "NoCampaigns"] }],
    [
      "an unknown time zone",
      { problem: { reason: "InvalidTimeZone", message: "m", cronJob: true } },
      { CronJobReady: ["False", "InvalidTimeZone"], Ready: ["False", "InvalidTimeZone"] },
    ],
    [
      "meta-cloud campaigns without step templates",
      { problem: { reason: "InvalidSpec", message: "m", cronJob: false } },
      { CronJobReady: ["True", "CronJobInSync"], Ready: ["False", "InvalidSpec"] },
    ],
    [
      "a failed run",
      {
        lastRun: { startedAt: t0, finishedAt: t0, due: 0, queued: 0, released: 0, skipped: 0, error: "boom" },
      },
      { LastRunSucceeded: ["False", "RunFailed"] },
    ],
  ])("%s", (_what, inputs, expected) => {
    expect(conditions(inputs)).toMatchObject(expected);
  });

  it("gives the last run's counts and times", () => {
    const status = desiredStatus({
      ...base,
      lastRun: {
        startedAt: new Date("2026-03-04T12:00:00.400Z"),
        finishedAt: new Date("2026-03-04T12:00:03Z"),
        due: 9,
        queued: 7,
        released: 2,
        skipped: 2,
        error: null,
      },
    });
    expect(status.lastRun).toEqual({
      startTime: "2026-03-04T12:00:00Z",
      completionTime: "2026-03-04T12:00:03Z",
      due: 9,
      queued: 7,
      released: 2,
      skipped: 2,
    });
  });

  it("computes the same status at rest: lastTransitionTime moves only when a status changes", () => {
    const first = desiredStatus(base);
    const later = new Date(t0.getTime() + 3_600_000);
    expect(desiredStatus({ ...base, current: first, now: later })).toEqual(first);
    const suspended = desiredStatus({ ...base, current: first, now: later, suspended: true });
    const ready = suspended.conditions?.find((c) => c.type === "Ready");
    const cronJob = suspended.conditions?.find((c) => c.type === "CronJobReady");
    expect(ready?.lastTransitionTime).toBe("2026-03-04T13:00:00Z");
    expect(cronJob?.lastTransitionTime).toBe("2026-03-04T12:00:00Z");
  });
});
