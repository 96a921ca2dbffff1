/**
 * Which campaigns a FollowUpSchedule follows up. Shared by the controller (status, checks) and the
 * follow-up run (what it works on), so both always agree.
 *
 * A campaign is covered by the schedule its `spec.followUpScheduleRef` names; a campaign without a
 * reference is covered by every schedule whose `spec.campaigns` selects it (by names or by label
 * selector). An explicit reference wins: a schedule's selector never takes a campaign that names another
 * schedule, so one campaign never gets two reminder policies that way.
 */

export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: readonly string[];
}

export interface LabelSelector {
  matchLabels?: Readonly<Record<string, string>>;
  matchExpressions?: readonly LabelSelectorRequirement[];
}

export interface CampaignSelectionLike {
  selector?: LabelSelector;
  names?: readonly string[];
}

/** What selection needs of a FollowUpSchedule. */
export interface ScheduleLike {
  metadata: { name?: string };
  spec: { campaigns?: CampaignSelectionLike };
}

/** What selection needs of a Campaign. */
export interface CampaignLike {
  metadata: { name?: string; labels?: Readonly<Record<string, string>> };
  spec: { followUpScheduleRef?: { name: string } };
}

/** Kubernetes label selector semantics: every matchLabels entry and every expression must hold; `{}` matches all. */
export function matchesLabelSelector(
  labels: Readonly<Record<string, string>> | undefined,
  selector: LabelSelector,
): boolean {
  const have = labels ?? {};
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (have[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const present = Object.hasOwn(have, requirement.key);
    const value = have[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case "In":
        if (!present || !values.includes(value as string)) return false;
        break;
      case "NotIn":
        if (present && values.includes(value as string)) return false;
        break;
      case "Exists":
        if (!present) return false;
        break;
      case "DoesNotExist":
        if (present) return false;
        break;
    }
  }
  return true;
}

/** Whether `schedule` follows up `campaign` (both in the same namespace). */
export function scheduleCoversCampaign(schedule: ScheduleLike, campaign: CampaignLike): boolean {
  const scheduleName = schedule.metadata.name;
  const reference = campaign.spec.followUpScheduleRef?.name;
  if (reference !== undefined) return reference === scheduleName;
  const selection = schedule.spec.campaigns;
  if (!selection) return false;
  if (selection.names)
    return campaign.metadata.name !== undefined && selection.names.includes(campaign.metadata.name);
  if (selection.selector) return matchesLabelSelector(campaign.metadata.labels, selection.selector);
  return false;
}

/** The campaigns of `campaigns` (one namespace) that `schedule` follows up, in the order given. */
export function campaignsCoveredBy<C extends CampaignLike>(
  schedule: ScheduleLike,
  campaigns: readonly C[],
): C[] {
  return campaigns.filter((campaign) => scheduleCoversCampaign(schedule, campaign));
}
