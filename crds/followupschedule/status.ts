/** FollowUpSchedule `status`: written by the controller only. */
import { z } from "zod";
import { count, timestamp } from "../common.js";
import { conditionsSchema } from "../conditions.js";

export const followUpRunSchema = z
  .object({
    startTime: timestamp().meta({ description: "When the run started." }).optional(),
    completionTime: timestamp().meta({ description: "When the run finished." }).optional(),
    due: count().meta({ description: "Contacts found due for a step." }).optional(),
    queued: count().meta({ description: "Reminders queued." }).optional(),
    released: count().meta({ description: "Contacts whose slot was released (final step)." }).optional(),
    skipped: count()
      .meta({ description: "Due contacts left for a later run (outside the window, campaign paused)." })
      .optional(),
  })
  .meta({ description: "Results of the most recent run." });

export const followUpScheduleStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .meta({ description: "The metadata.generation this status was computed from." })
      .optional(),
    cronJobName: z
      .string()
      .max(253)
      .meta({ description: "Name of the CronJob that runs the reminders." })
      .optional(),
    lastScheduleTime: timestamp().meta({ description: "When a run was last started." }).optional(),
    lastSuccessfulTime: timestamp()
      .meta({ description: "When a run last finished successfully." })
      .optional(),
    lastRun: followUpRunSchema.optional(),
    conditions: conditionsSchema.optional(),
  })
  .meta({ description: "The observed state of the follow-up policy, written by the controller." });

export type FollowUpScheduleStatus = z.output<typeof followUpScheduleStatusSchema>;
export type FollowUpRun = z.output<typeof followUpRunSchema>;
