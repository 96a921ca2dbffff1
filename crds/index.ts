/**
 * The busca-ativa API (group buscaativa.io, version v1alpha1): zod schemas, the types inferred from
 * them, names, status vocabulary and defaults. The CRD YAML and docs/api.md are generated from these
 * schemas by crds/generate.ts.
 */
export * from "./constants.js";
export * from "./conditions.js";
export * from "./defaults.js";
export { DURATION_PATTERN, parseDuration, durationMs } from "./duration.js";
export { DEFAULT_TIME_ZONE, TIME_OF_DAY_PATTERN, TIME_ZONE_PATTERN, minutesOfDay } from "./common.js";
export { CRON_PATTERN, isCronExpression } from "./cron.js";
export { normalizeReplyText, matchesKeyword } from "./keywords.js";
export {
  BUILT_IN_PLACEHOLDERS,
  TEMPLATE_MAX_LENGTH,
  normalizeColumnName,
  templatePlaceholders,
  unknownPlaceholders,
} from "./template.js";
export { formatIssues } from "./issues.js";
export type { ObjectMeta } from "./metadata.js";

export { AUDIENCE_FORMATS, audienceSchema, columnMappingSchema } from "./campaign/audience.js";
export type { Audience, ColumnMapping } from "./campaign/audience.js";
export { messageSchema, metaTemplateSchema } from "./campaign/message.js";
export type { Message, MetaTemplate } from "./campaign/message.js";
export { repliesSchema } from "./campaign/replies.js";
export type { Replies, ReplyKeywords, DeclineReasonOption, ReplyTexts } from "./campaign/replies.js";
export {
  CREDENTIAL_KEYS,
  DEFAULT_WEBHOOK_AUTHENTICATION,
  PROVIDERS,
  WEBHOOK_AUTHENTICATIONS,
  requiredCredentialKeys,
  senderSchema,
} from "./campaign/sender.js";
export type { Provider, Sender, WebhookAuthentication } from "./campaign/sender.js";
export {
  DAYS_OF_WEEK,
  DEFAULT_DAILY_QUOTA,
  MIN_SEND_INTERVAL_MS,
  effectiveIntervalMs,
  scheduleSchema,
  sendWindowSchema,
  windowMinutes,
} from "./campaign/schedule.js";
export type { DayOfWeek, Schedule, SendWindow } from "./campaign/schedule.js";
export { numberValidationSchema } from "./campaign/validation.js";
export type { NumberValidation } from "./campaign/validation.js";
export { campaignSpecSchema } from "./campaign/spec.js";
export type { CampaignSpec, CampaignSpecInput } from "./campaign/spec.js";
export { campaignCountsSchema, campaignQueueSchema, campaignStatusSchema } from "./campaign/status.js";
export type { CampaignCounts, CampaignQueue, CampaignStatus, QueueCounts } from "./campaign/status.js";
export { campaignSchema, parseCampaign } from "./campaign/resource.js";
export type { Campaign, CampaignInput } from "./campaign/resource.js";

export {
  campaignSelectionSchema,
  followUpScheduleSpecSchema,
  followUpStepSchema,
  followUpStepsSchema,
} from "./followupschedule/spec.js";
export type {
  CampaignSelection,
  FollowUpScheduleSpec,
  FollowUpScheduleSpecInput,
  FollowUpStep,
} from "./followupschedule/spec.js";
export { followUpRunSchema, followUpScheduleStatusSchema } from "./followupschedule/status.js";
export type { FollowUpRun, FollowUpScheduleStatus } from "./followupschedule/status.js";
export { followUpScheduleSchema, parseFollowUpSchedule } from "./followupschedule/resource.js";
export type { FollowUpSchedule, FollowUpScheduleInput } from "./followupschedule/resource.js";
