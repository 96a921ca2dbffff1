/**
 * Which campaigns a FollowUpSchedule covers, read from the informers' plain objects (the rule itself is
 * lib/followup/selection.ts, shared with the follow-up run).
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import {
  campaignsCoveredBy,
  scheduleCoversCampaign,
  type CampaignLike,
  type CampaignSelectionLike,
} from "../../lib/followup/selection.js";

/** The fields of a Campaign that coverage and the schedule's checks read. */
export interface CoveredCampaign extends CampaignLike {
  metadata: { name: string; labels?: Record<string, string> };
  spec: { followUpScheduleRef?: { name: string }; sender?: { provider?: string } };
}

/** Any Campaign shape: the informer's plain object or a parsed Campaign. */
export interface CampaignObjectLike {
  metadata?: { name?: string; namespace?: string; labels?: Record<string, string> };
  spec?: unknown;
}

export function asCoveredCampaign(obj: CampaignObjectLike): CoveredCampaign {
  const spec = (obj.spec ?? {}) as CoveredCampaign["spec"];
  return {
    metadata: {
      name: obj.metadata?.name ?? "",
      ...(obj.metadata?.labels ? { labels: obj.metadata.labels } : {}),
    },
    spec,
  };
}

export function coveredCampaigns(
  schedule: { metadata: { name: string }; spec: { campaigns?: CampaignSelectionLike } },
  campaigns: readonly CampaignObjectLike[],
): CoveredCampaign[] {
  return campaignsCoveredBy(schedule, campaigns.map(asCoveredCampaign));
}

/**
 * For the Campaign reconciler: whether any FollowUpSchedule in the campaign's namespace (from `schedules`)
 * covers it.
 */
export function followUpCovers(schedules: {
  list(namespace?: string): (KubernetesObject & { spec?: unknown })[];
}): (campaign: CampaignObjectLike) => boolean {
  return (campaign) => {
    const target = asCoveredCampaign(campaign);
    return schedules.list(campaign.metadata?.namespace).some((s) =>
      scheduleCoversCampaign(
        {
          metadata: { name: s.metadata?.name ?? "" },
          spec: (s.spec ?? {}) as { campaigns?: CampaignSelectionLike },
        },
        target,
      ),
    );
  };
}
