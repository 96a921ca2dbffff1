/** The FollowUpSchedule object as stored by the API server, and its parse. */
import { z } from "zod";
import { API_VERSION, FOLLOW_UP_SCHEDULE_KIND, FOLLOW_UP_SCHEDULE_NAME_MAX_LENGTH } from "../constants.js";
import { nameLengthRule, objectMetaSchema } from "../metadata.js";
import { withRules } from "../rules.js";
import { followUpScheduleSpecSchema } from "./spec.js";
import { followUpScheduleStatusSchema } from "./status.js";

export const followUpScheduleSchema = withRules(
  z
    .object({
      apiVersion: z.literal(API_VERSION),
      kind: z.literal(FOLLOW_UP_SCHEDULE_KIND),
      metadata: objectMetaSchema,
      spec: followUpScheduleSpecSchema.prefault({}),
      status: followUpScheduleStatusSchema.optional(),
    })
    .meta({
      description:
        "A reminder policy for campaigns: when it runs (cron and time zone), which campaigns it covers and the reminders sent to patients who have not answered, the last one releasing the slot.",
    }),
  [nameLengthRule("FollowUpSchedule", FOLLOW_UP_SCHEDULE_NAME_MAX_LENGTH, "its CronJob takes the same name")],
);

export type FollowUpSchedule = z.output<typeof followUpScheduleSchema>;
export type FollowUpScheduleInput = z.input<typeof followUpScheduleSchema>;

/** Parses an object read from the API server, applying defaults as the API server does. */
export function parseFollowUpSchedule(object: unknown): FollowUpSchedule {
  return followUpScheduleSchema.parse(object);
}
