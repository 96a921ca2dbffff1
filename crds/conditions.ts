/**
 * Status vocabulary: the `metav1.Condition` shape, condition types and reasons of both kinds, the
 * Campaign phase and pause reasons.
 */
import { z } from "zod";
import { asMap, timestamp } from "./common.js";

export const CONDITION_STATUSES = ["True", "False", "Unknown"] as const;
export type ConditionStatus = (typeof CONDITION_STATUSES)[number];

export const conditionSchema = z
  .object({
    type: z
      .string()
      .min(1)
      .max(316)
      .regex(
        /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$/,
      )
      .meta({ description: "Type of condition in CamelCase, e.g. Ready." }),
    status: z.enum(CONDITION_STATUSES).meta({ description: "True, False or Unknown." }),
    observedGeneration: z
      .int()
      .min(0)
      .meta({ description: "The metadata.generation the condition was set from." })
      .optional(),
    lastTransitionTime: timestamp().meta({ description: "When the status last changed (not every update)." }),
    reason: z
      .string()
      .min(1)
      .max(1024)
      .regex(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/)
      .meta({ description: "Programmatic identifier of the reason, in CamelCase." }),
    message: z.string().max(32768).meta({ description: "What happened, for a person; may be empty." }),
  })
  .meta({ description: "A condition in the standard metav1.Condition shape." });

export type Condition = z.output<typeof conditionSchema>;

export const conditionsSchema = asMap(z.array(conditionSchema).max(32), ["type"]).meta({
  description: "The latest observations of the object's state, one per type.",
});

/** Condition types of a Campaign. `Ready` summarises the others. */
export const CampaignConditionType = {
  AudienceImported: "AudienceImported",
  NumbersValidated: "NumbersValidated",
  ProviderReady: "ProviderReady",
  Sending: "Sending",
  Completed: "Completed",
  Ready: "Ready",
} as const;
export type CampaignConditionType = (typeof CampaignConditionType)[keyof typeof CampaignConditionType];

/** Reasons the controller gives on Campaign conditions (CamelCase, stable: tools may switch on them). */
export const CampaignConditionReason = {
  // AudienceImported
  Importing: "Importing",
  Imported: "Imported",
  AudienceNotFound: "AudienceNotFound",
  AudienceUnreadable: "AudienceUnreadable",
  ColumnsMissing: "ColumnsMissing",
  AudienceEmpty: "AudienceEmpty",
  // NumbersValidated
  Validating: "Validating",
  Validated: "Validated",
  ValidationDisabled: "ValidationDisabled",
  ValidationUnsupported: "ValidationUnsupported",
  // ProviderReady
  ProviderConnected: "ProviderConnected",
  CredentialsNotFound: "CredentialsNotFound",
  ProviderUnreachable: "ProviderUnreachable",
  ProviderDisconnected: "ProviderDisconnected",
  // Sending
  SendingMessages: "SendingMessages",
  Paused: "Paused",
  NothingToSend: "NothingToSend",
  // Completed
  AllContactsDone: "AllContactsDone",
  DurationReached: "DurationReached",
  NotCompleted: "NotCompleted",
  // Ready and any condition: spec problems the API server cannot see
  InvalidTimeZone: "InvalidTimeZone",
  UnknownPlaceholder: "UnknownPlaceholder",
  FollowUpScheduleNotFound: "FollowUpScheduleNotFound",
  InvalidSpec: "InvalidSpec",
  Reconciling: "Reconciling",
  Ready: "Ready",
  Failed: "Failed",
  Cancelled: "Cancelled",
} as const;
export type CampaignConditionReason = (typeof CampaignConditionReason)[keyof typeof CampaignConditionReason];

/** A one-word summary for people (`kubectl get`); conditions are the source of truth. */
export const CAMPAIGN_PHASES = [
  "Pending",
  "Importing",
  "Validating",
  "Sending",
  "Paused",
  "Completed",
  "Failed",
  "Cancelled",
] as const;
export type CampaignPhase = (typeof CAMPAIGN_PHASES)[number];

/** Why a campaign is not sending right now. */
export const PAUSE_REASONS = [
  "Suspended",
  "OutsideWindow",
  "DailyQuotaReached",
  "NotStartedYet",
  "ProviderUnavailable",
  "ProviderRateLimited",
  "WaitingForReplies",
] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

/** Condition types of a FollowUpSchedule. */
export const FollowUpScheduleConditionType = {
  CronJobReady: "CronJobReady",
  LastRunSucceeded: "LastRunSucceeded",
  Ready: "Ready",
} as const;
export type FollowUpScheduleConditionType =
  (typeof FollowUpScheduleConditionType)[keyof typeof FollowUpScheduleConditionType];

export const FollowUpScheduleConditionReason = {
  CronJobCreated: "CronJobCreated",
  CronJobUpdated: "CronJobUpdated",
  CronJobInSync: "CronJobInSync",
  CronJobFailed: "CronJobFailed",
  Suspended: "Suspended",
  RunSucceeded: "RunSucceeded",
  RunFailed: "RunFailed",
  NotRunYet: "NotRunYet",
  InvalidTimeZone: "InvalidTimeZone",
  UnknownPlaceholder: "UnknownPlaceholder",
  NoCampaigns: "NoCampaigns",
  Ready: "Ready",
} as const;
export type FollowUpScheduleConditionReason =
  (typeof FollowUpScheduleConditionReason)[keyof typeof FollowUpScheduleConditionReason];
