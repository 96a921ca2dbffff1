/** FollowUpSchedule `spec`: the reminder policy, when it runs and which campaigns it covers. */
import { z } from "zod";
import { DNS_SUBDOMAIN_PATTERN, asMap, asSet, duration, labelSelector, timeZone } from "../common.js";
import { CRON_PATTERN } from "../cron.js";
import { DEFAULT_FOLLOW_UP_CRON, DEFAULT_FOLLOW_UP_STEPS } from "../defaults.js";
import { DURATION_PATTERN, parseDuration } from "../duration.js";
import { celRegex, matchesRule, withRules } from "../rules.js";
import { template } from "../template.js";
import { metaTemplateSchema } from "../campaign/message.js";

export const followUpStepSchema = z
  .object({
    name: z
      .string()
      .min(1)
      .max(63)
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/)
      .meta({ description: "Name of the step, unique in the schedule; recorded with each reminder sent." }),
    afterFirstMessage: duration({ min: "1h", max: "2160h" }).meta({
      description:
        "When the step is due, counted from the first message to the contact (not from the previous step), e.g. 24h. Strictly increasing across steps.",
    }),
    template: template("The reminder text; the same placeholders as the campaign message."),
    final: z.boolean().default(false).meta({
      description:
        "The last step: after sending it the slot is released and the contact is marked no-response. Exactly one step, the last, is final.",
    }),
    metaTemplate: metaTemplateSchema.optional(),
  })
  .meta({ description: "One reminder, sent to contacts that have not answered yet." });

const stepsBase = asMap(z.array(followUpStepSchema).min(1).max(10), ["name"]).meta({
  description:
    "The reminders in order. Default: the replaced system's policy, reminders at 24h and 72h and the slot released at 96h.",
});

const delayPattern = celRegex(DURATION_PATTERN);

export const followUpStepsSchema = withRules(stepsBase, [
  {
    rule: "self.filter(s, s.final).size() <= 1",
    message: "only one step may be final: the final step releases the slot, so it happens once",
    holds: (steps) => steps.filter((s) => s.final).length <= 1,
  },
  {
    rule: "size(self) == 0 || self[size(self) - 1].final",
    message: "the last step must be final (it releases the slot); mark it final: true",
    holds: (steps) => steps.length === 0 || steps[steps.length - 1]?.final === true,
  },
  {
    rule:
      `self.all(i, s, i == 0 || !s.afterFirstMessage.matches(${delayPattern}) || ` +
      `!self[i - 1].afterFirstMessage.matches(${delayPattern}) || ` +
      `duration(s.afterFirstMessage) > duration(self[i - 1].afterFirstMessage))`,
    message: "step delays (afterFirstMessage) must be strictly increasing, e.g. 24h, 72h, 96h",
    holds: (steps) =>
      steps.every((s, i) => {
        const previous = i === 0 ? undefined : steps[i - 1];
        if (previous === undefined) return true;
        const current = parseDuration(s.afterFirstMessage);
        const before = parseDuration(previous.afterFirstMessage);
        return current === undefined || before === undefined || current > before;
      }),
  },
]).prefault(DEFAULT_FOLLOW_UP_STEPS.map((s) => ({ ...s })));

const campaignSelectionBase = z
  .object({
    selector: labelSelector().optional(),
    names: asSet(
      z
        .array(z.string().min(1).max(253).regex(new RegExp(DNS_SUBDOMAIN_PATTERN)))
        .min(1)
        .max(100),
    )
      .meta({ description: "Names of Campaigns in this namespace." })
      .optional(),
  })
  .meta({
    description:
      "Campaigns this schedule follows up, besides those that name it in spec.followUpScheduleRef: exactly one of selector or names.",
  });

export const campaignSelectionSchema = withRules(campaignSelectionBase, [
  {
    rule: "has(self.selector) != has(self.names)",
    message: "set exactly one of selector or names",
    holds: (c) => (c.selector !== undefined) !== (c.names !== undefined),
  },
]);

export const followUpScheduleSpecSchema = z
  .object({
    schedule: withRules(z.string().min(1).max(128), [
      matchesRule(
        CRON_PATTERN,
        'must be a cron expression with 5 fields (minute hour day-of-month month day-of-week), e.g. "0 9 * * *", or a macro such as @daily; set the time zone in timeZone, not with TZ=',
      ),
    ])
      .default(DEFAULT_FOLLOW_UP_CRON)
      .meta({ description: "When the reminder run starts, in cron notation, e.g. 0 9 * * * (09:00 daily)." }),
    timeZone: timeZone().meta({
      description: "IANA time zone of the cron schedule, e.g. America/Fortaleza.",
    }),
    campaigns: campaignSelectionSchema.optional(),
    steps: followUpStepsSchema,
    respectWindow: z.boolean().default(true).meta({
      description:
        "Send reminders only inside each campaign's window and days; otherwise they go out as soon as they are due.",
    }),
    suspend: z
      .boolean()
      .default(false)
      .meta({ description: "true stops further runs (the CronJob is suspended); running ones finish." }),
  })
  .meta({ description: "The desired state of a follow-up (reminder) policy." });

export type FollowUpScheduleSpec = z.output<typeof followUpScheduleSpecSchema>;
export type FollowUpScheduleSpecInput = z.input<typeof followUpScheduleSpecSchema>;
export type FollowUpStep = z.output<typeof followUpStepSchema>;
export type CampaignSelection = z.output<typeof campaignSelectionSchema>;
