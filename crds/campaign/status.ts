/** Campaign `status`: written by the controller only, never with patient data. */
import { z } from "zod";
import { count, text, timestamp } from "../common.js";
import { CAMPAIGN_PHASES, PAUSE_REASONS, conditionsSchema } from "../conditions.js";

const counter = (description: string) => count().meta({ description }).optional();

export const campaignCountsSchema = z
  .object({
    contacts: counter("Patients imported (after merging duplicate rows)."),
    phones: counter("Phone numbers imported."),
    valid: counter("Phones confirmed to have WhatsApp."),
    invalid: counter("Phones without WhatsApp, or not sendable (landlines)."),
    rejectedRows: counter("List rows refused at import (kept with their reason)."),
    queued: counter("First messages queued and not yet sent."),
    sent: counter("Contacts whose first message was accepted by the provider."),
    failed: counter("Contacts whose first message could not be sent to any phone."),
    delivered: counter(
      "First messages delivered (one per phone: a patient reached on two phones counts twice).",
    ),
    read: counter("First messages read (one per phone)."),
    replied: counter("Contacts who replied anything."),
    confirmed: counter("Contacts who answered SIM."),
    declined: counter("Contacts who answered NÃO."),
    notMe: counter("Contacts closed because every phone answered DESCONHEÇO."),
    noResponse: counter("Contacts whose slot was released after the last reminder."),
    optedOut: counter("Contacts who asked to receive no more messages."),
  })
  .meta({ description: "Counts of the campaign's contacts and phones, from the database." });

const queueCountsSchema = (task: string) =>
  z
    .object({
      waiting: counter("Jobs waiting for a worker."),
      delayed: counter("Jobs scheduled for later (paced sends)."),
      active: counter("Jobs being processed."),
      completed: counter("Jobs finished and still retained."),
      failed: counter("Jobs that failed after their retries."),
    })
    .meta({ description: `Queue jobs of this campaign for ${task}.` })
    .optional();

export const campaignQueueSchema = z
  .object({
    import: queueCountsSchema("importing the list"),
    validate: queueCountsSchema("validating numbers"),
    send: queueCountsSchema("sending first messages"),
    followUp: queueCountsSchema("sending reminders"),
  })
  .meta({ description: "A summary of the campaign's work in the queues, per task." });

export const campaignStatusSchema = z
  .object({
    observedGeneration: z
      .int()
      .min(0)
      .meta({ description: "The metadata.generation this status was computed from." })
      .optional(),
    phase: z
      .enum(CAMPAIGN_PHASES)
      .meta({ description: "One-word summary for people; see conditions." })
      .optional(),
    pauseReason: z
      .enum(PAUSE_REASONS)
      .meta({ description: "Why nothing is being sent right now, while the phase is Paused." })
      .optional(),
    message: text({ max: 1024 })
      .meta({ description: "A sentence on where the campaign stands (no patient data)." })
      .optional(),
    progress: z
      .int()
      .min(0)
      .max(100)
      .meta({
        description:
          "Percent of contacts whose outreach is finished (answered, released, opted out or unreachable).",
      })
      .optional(),
    counts: campaignCountsSchema.optional(),
    sentToday: counter(
      "Contacts sent their first message on the current local day (counts towards dailyQuota).",
    ),
    sentTodayDate: z
      .string()
      .regex(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/)
      .meta({
        description: "The local date (in schedule.timeZone) that sentToday refers to.",
        format: "date",
      })
      .optional(),
    nextSendTime: timestamp().meta({ description: "When the next first message is due, if any." }).optional(),
    startTime: timestamp()
      .meta({ description: "When the first message was sent (duration counts from here)." })
      .optional(),
    completionTime: timestamp()
      .meta({ description: "When the campaign completed, failed or was cancelled." })
      .optional(),
    queue: campaignQueueSchema.optional(),
    conditions: conditionsSchema.optional(),
  })
  .meta({ description: "The observed state of the campaign, written by the controller." });

export type CampaignStatus = z.output<typeof campaignStatusSchema>;
export type CampaignCounts = z.output<typeof campaignCountsSchema>;
export type CampaignQueue = z.output<typeof campaignQueueSchema>;
export type QueueCounts = NonNullable<CampaignQueue["send"]>;
