/** Campaign `spec`: everything one outreach campaign needs. */
import { z } from "zod";
import { localObjectReference, text } from "../common.js";
import { withRules } from "../rules.js";
import { audienceSchema } from "./audience.js";
import { messageSchema } from "./message.js";
import { repliesSchema } from "./replies.js";
import { scheduleSchema } from "./schedule.js";
import { senderSchema } from "./sender.js";
import { numberValidationSchema } from "./validation.js";

const campaignSpecBase = z
  .object({
    description: text({ max: 1024 })
      .meta({ description: "What the campaign is for, for the people running it (never sent to patients)." })
      .optional(),
    audience: audienceSchema,
    message: messageSchema,
    replies: repliesSchema.prefault({}),
    sender: senderSchema,
    schedule: scheduleSchema.prefault({}),
    validation: numberValidationSchema.prefault({}),
    followUpScheduleRef: localObjectReference("FollowUpSchedule")
      .meta({
        description:
          "The FollowUpSchedule whose reminders this campaign uses. A schedule may also select campaigns by label or name.",
      })
      .optional(),
    suspend: z.boolean().default(false).meta({
      description:
        "true pauses the campaign: nothing more is queued and waiting sends are withdrawn. false resumes it where it stopped.",
    }),
  })
  .meta({ description: "The desired state of an outreach campaign." });

export const campaignSpecSchema = withRules(campaignSpecBase, [
  {
    rule: "self.sender.provider != 'meta-cloud' || has(self.message.metaTemplate)",
    message:
      "message.metaTemplate is required when sender.provider is meta-cloud: Meta accepts only approved templates for a first message",
    fieldPath: ".message.metaTemplate",
    reason: "FieldValueRequired",
    holds: (s) => s.sender.provider !== "meta-cloud" || s.message.metaTemplate !== undefined,
  },
]);

/** A Campaign spec after defaults (what the API server stores and the controller reads). */
export type CampaignSpec = z.output<typeof campaignSpecSchema>;
/** A Campaign spec as a person may write it (defaulted fields optional). */
export type CampaignSpecInput = z.input<typeof campaignSpecSchema>;
