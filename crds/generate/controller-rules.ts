/**
 * Rules the API server cannot check, written into docs/api.md. The controller checks each one and
 * reports a failure as a condition (with the reason named here) and an Event; the worker relies on
 * them having been checked.
 */
export interface ControllerRule {
  /** What must hold. */
  rule: string;
  /** Which fields it concerns. */
  fields: string;
  /** How the controller reports it when it does not hold. */
  reported: string;
}

export const CONTROLLER_RULES: readonly ControllerRule[] = [
  {
    rule: "The time zone exists in the IANA database the process uses (e.g. `Intl.DateTimeFormat` accepts it); the API server checks only its shape.",
    fields: "Campaign `spec.schedule.timeZone`, FollowUpSchedule `spec.timeZone`",
    reported: "`Ready=False`, reason `InvalidTimeZone`; nothing is sent (a CronJob is not created).",
  },
  {
    rule: "Every `{placeholder}` names `nome`, `procedimento` or a column header of the imported list (headers compared trimmed, lower-case, spaces collapsed; see `unknownPlaceholders()` in crds/template.ts).",
    fields:
      "`spec.message.template`, `spec.message.variants[*]`, `spec.message.metaTemplate.bodyParameters[*]`, `spec.replies.texts.*`, `spec.replies.declineReason.question`, FollowUpSchedule `spec.steps[*].template` of the campaigns it covers",
    reported:
      "`Ready=False`, reason `UnknownPlaceholder`, naming the placeholder and the columns found; nothing is sent.",
  },
  {
    rule: "The Secret or ConfigMap named by the audience exists in the campaign's namespace and holds the key (a ConfigMap in `data` for CSV or `binaryData` for XLSX); a `listRef` names a list imported into this namespace.",
    fields: "`spec.audience.secretKeyRef`, `spec.audience.configMapKeyRef`, `spec.audience.listRef`",
    reported: "`AudienceImported=False`, reason `AudienceNotFound`; retried when the object appears.",
  },
  {
    rule: "The file parses in the given format (or is recognised as CSV or XLSX with `auto`), and the name and phone columns are found through `columnMapping`; at least one row is imported.",
    fields: "`spec.audience.format`, `spec.audience.columnMapping`",
    reported:
      "`AudienceImported=False`, reason `AudienceUnreadable`, `ColumnsMissing` (listing the headers found) or `AudienceEmpty`.",
  },
  {
    rule: "The credentials Secret exists and holds the keys the provider and the webhook authentication need (`requiredCredentialKeys()` in crds/campaign/sender.ts).",
    fields: "`spec.sender.credentialsSecretRef`, `spec.sender.webhook.authentication`",
    reported:
      "`ProviderReady=False`, reason `CredentialsNotFound`, naming the missing keys (never their values).",
  },
  {
    rule: "The provider answers and the instance or phone number is connected.",
    fields: "`spec.sender.baseUrl`, `spec.sender.instance`, `spec.sender.phoneNumberId`",
    reported:
      "`ProviderReady=False`, reason `ProviderUnreachable` or `ProviderDisconnected`; a sending campaign pauses with `pauseReason: ProviderUnavailable` and resumes by itself.",
  },
  {
    rule: "The FollowUpSchedule named by the campaign exists in the same namespace, and a campaign is covered by at most one FollowUpSchedule (by reference, selector or name).",
    fields: "Campaign `spec.followUpScheduleRef`, FollowUpSchedule `spec.campaigns`",
    reported:
      "Campaign `Ready=False`, reason `FollowUpScheduleNotFound` (or `InvalidSpec` when two schedules cover it); no reminders are sent for it meanwhile.",
  },
  {
    rule: "For `meta-cloud` campaigns, every follow-up step that covers them has a `metaTemplate` (Meta refuses free text outside the 24-hour window). The template names and parameter counts are checked by Meta when sending.",
    fields: "FollowUpSchedule `spec.steps[*].metaTemplate`",
    reported: "FollowUpSchedule `Ready=False`, reason `InvalidSpec`, naming the campaign.",
  },
  {
    rule: "Keywords do not overlap between answers after normalisation (`normalizeReplyText()`: case, accents, spaces, keycaps, edge emoji and punctuation); the API server compares them exactly as written.",
    fields: "`spec.replies.keywords.*`, `spec.replies.declineReason.options[*].keywords`",
    reported: "`Ready=False`, reason `InvalidSpec`, naming the keyword.",
  },
  {
    rule: "The pace can reach the quota: with an explicit `interval`, `interval × dailyQuota` fits in the window; otherwise the quota is not reachable (a warning, not an error).",
    fields: "`spec.schedule.interval`, `spec.schedule.dailyQuota`, `spec.schedule.window`",
    reported: "A Warning Event `QuotaUnreachable`; the campaign still runs.",
  },
  {
    rule: "A FollowUpSchedule selects at least one campaign (by reference, selector or name).",
    fields: "FollowUpSchedule `spec.campaigns`",
    reported: "FollowUpSchedule `Ready=True` with reason `NoCampaigns` (its runs find nothing to do).",
  },
];
