/** Campaign `spec.schedule`: when and how fast messages go out. */
import { z } from "zod";
import { asSet, duration, minutesOfDay, timeOfDay, timeZone, timestamp } from "../common.js";
import { durationMs } from "../duration.js";
import { withRules } from "../rules.js";

export const DAYS_OF_WEEK = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"] as const;
export type DayOfWeek = (typeof DAYS_OF_WEEK)[number];

export const DEFAULT_DAILY_QUOTA = 50;
export const MIN_SEND_INTERVAL_MS = 5_000;

const windowBase = z
  .object({
    start: timeOfDay()
      .default("08:00")
      .meta({ description: "First minute of the window, HH:MM local time." }),
    end: timeOfDay().default("18:00").meta({
      description:
        "End of the window (exclusive), HH:MM local time. An end before the start crosses midnight (20:00 to 06:00).",
    }),
  })
  .meta({ description: "The daily hours in which messages may be sent, in `timeZone`." });

export const sendWindowSchema = withRules(windowBase, [
  {
    rule: "self.start != self.end",
    message:
      "window start and end must differ (a window may cross midnight, e.g. 20:00 to 06:00, but not be empty)",
    fieldPath: ".end",
    holds: (w) => w.start !== w.end,
  },
]);

export const scheduleSchema = z
  .object({
    timeZone: timeZone().meta({
      description: "IANA time zone of the window, the days and the daily quota, e.g. America/Fortaleza.",
    }),
    window: sendWindowSchema.prefault({}),
    daysOfWeek: asSet(z.array(z.enum(DAYS_OF_WEEK)).min(1).max(7))
      .meta({ description: "Days on which messages may be sent (Mon … Sun)." })
      .prefault(["Mon", "Tue", "Wed", "Thu", "Fri"]),
    dailyQuota: z.int().min(1).max(10_000).default(DEFAULT_DAILY_QUOTA).meta({
      description:
        "Contacts (patients, not phones) sent their first message per local day. Reminders and replies do not count.",
    }),
    interval: duration({ min: "5s", max: "24h" })
      .meta({
        description:
          "Time between two first messages, e.g. 90s or 12m. Default: the window length divided by dailyQuota, never under 5s.",
      })
      .optional(),
    jitterPercent: z.int().min(0).max(50).default(20).meta({
      description:
        "Random spread of each interval, in percent (20 means 80% to 120% of it), so sends do not look automated; never under 5s.",
    }),
    startTime: timestamp()
      .meta({
        description:
          "No message before this time, in RFC 3339 form with a time zone, e.g. 2026-08-03T08:00:00-03:00.",
      })
      .optional(),
    durationDays: z.int().min(0).max(3650).default(0).meta({
      description:
        "Days after the first send at which the campaign completes even if patients remain; counted from the first start, not reset by suspend and resume. 0: until the list is done.",
    }),
    typingWarmup: duration({ min: "0s", max: "30s" }).default("3s").meta({
      description:
        "How long the sender shows 'typing…' before each first message and reminder (helps first messages get delivered). 0s turns it off.",
    }),
  })
  .meta({ description: "When and how fast messages go out." });

export type Schedule = z.output<typeof scheduleSchema>;
export type SendWindow = z.output<typeof sendWindowSchema>;

/** Length of the window in minutes; a window that crosses midnight wraps. */
export function windowMinutes(window: SendWindow): number {
  const start = minutesOfDay(window.start);
  const end = minutesOfDay(window.end);
  return end > start ? end - start : 24 * 60 - start + end;
}

/** The interval in effect: the explicit one, or the window divided by the quota, at least 5 s. */
export function effectiveIntervalMs(schedule: Pick<Schedule, "interval" | "window" | "dailyQuota">): number {
  if (schedule.interval !== undefined) return durationMs(schedule.interval);
  const perContact = Math.floor((windowMinutes(schedule.window) * 60) / schedule.dailyQuota) * 1000;
  return Math.max(MIN_SEND_INTERVAL_MS, perContact);
}
