/**
 * Names of the busca-ativa API: group, version, kinds, plurals, short names and category. Everything
 * that talks to the API server (controller, worker, CLI, tests) takes these from here.
 */
export const GROUP = "buscaativa.io";
export const VERSION = "v1alpha1";
export const API_VERSION = `${GROUP}/${VERSION}` as const;

/** `kubectl get buscaativa` lists every kind in this category. */
export const CATEGORY = "buscaativa";

export interface ResourceNames {
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  shortNames: readonly string[];
  /** The CustomResourceDefinition's name: `<plural>.<group>`. */
  crdName: string;
}

export const CAMPAIGN_KIND = "Campaign";
export const CAMPAIGN_PLURAL = "campaigns";
export const FOLLOW_UP_SCHEDULE_KIND = "FollowUpSchedule";
export const FOLLOW_UP_SCHEDULE_PLURAL = "followupschedules";

export const CAMPAIGN_NAMES = {
  kind: CAMPAIGN_KIND,
  listKind: "CampaignList",
  plural: CAMPAIGN_PLURAL,
  singular: "campaign",
  shortNames: ["camp"],
  crdName: `${CAMPAIGN_PLURAL}.${GROUP}`,
} as const satisfies ResourceNames;

export const FOLLOW_UP_SCHEDULE_NAMES = {
  kind: FOLLOW_UP_SCHEDULE_KIND,
  listKind: "FollowUpScheduleList",
  plural: FOLLOW_UP_SCHEDULE_PLURAL,
  singular: "followupschedule",
  shortNames: ["fus"],
  crdName: `${FOLLOW_UP_SCHEDULE_PLURAL}.${GROUP}`,
} as const satisfies ResourceNames;

/** Longest Campaign name: it must fit in a label value (63 characters). */
export const CAMPAIGN_NAME_MAX_LENGTH = 63;
/**
 * Longest FollowUpSchedule name: 52, the longest CronJob name, so the controller can give the CronJob
 * the schedule's own name.
 */
export const FOLLOW_UP_SCHEDULE_NAME_MAX_LENGTH = 52;
