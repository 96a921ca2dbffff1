/**
 * What a follow-up run reads from the Kubernetes API: its FollowUpSchedule and the Campaigns of its
 * namespace (the ServiceAccount of the run may `get` FollowUpSchedules and `get`/`list` Campaigns, nothing
 * else).
 */
import { CustomObjectsApi, type KubeConfig } from "@kubernetes/client-node";
import {
  CAMPAIGN_PLURAL,
  FOLLOW_UP_SCHEDULE_PLURAL,
  GROUP,
  VERSION,
  campaignSchema,
  formatIssues,
  parseFollowUpSchedule,
  type Campaign,
  type FollowUpSchedule,
} from "../../crds/index.js";
import { AppError } from "../../lib/errors.js";

const PAGE_SIZE = 500;

function apiStatusCode(err: unknown): number | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "number" ? code : undefined;
}

export async function readFollowUpSchedule(
  kc: KubeConfig,
  namespace: string,
  name: string,
): Promise<FollowUpSchedule> {
  let object: unknown;
  try {
    object = await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: FOLLOW_UP_SCHEDULE_PLURAL,
      namespace,
      name,
    });
  } catch (err) {
    if (apiStatusCode(err) === 404) {
      throw new AppError(
        "FOLLOW_UP_SCHEDULE_NOT_FOUND",
        `FollowUpSchedule ${namespace}/${name} does not exist: check --schedule (namespace/name)`,
        { namespace, name },
        { cause: err },
      );
    }
    throw err;
  }
  return parseFollowUpSchedule(object);
}

export interface CampaignList {
  campaigns: Campaign[];
  /** Campaigns whose stored object this code cannot read (names only). */
  unreadable: string[];
}

/** Every Campaign of the namespace, read in pages. */
export async function listCampaigns(kc: KubeConfig, namespace: string): Promise<CampaignList> {
  const api = kc.makeApiClient(CustomObjectsApi);
  const campaigns: Campaign[] = [];
  const unreadable: string[] = [];
  let next: string | undefined;
  do {
    const page = (await api.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: CAMPAIGN_PLURAL,
      namespace,
      limit: PAGE_SIZE,
      ...(next ? { _continue: next } : {}),
    })) as { items?: unknown[]; metadata?: { continue?: string } };
    for (const item of page.items ?? []) {
      // Only metadata and spec matter here; a status this code does not know never hides a campaign.
      const parsed = campaignSchema.safeParse({ ...(item as object), status: undefined });
      if (parsed.success) campaigns.push(parsed.data);
      else
        unreadable.push(
          `${(item as { metadata?: { name?: string } }).metadata?.name ?? "?"}: ${formatIssues(parsed.error)}`,
        );
    }
    next = page.metadata?.continue || undefined;
  } while (next);
  return { campaigns, unreadable };
}

/** Parses `--schedule namespace/name`. */
export function parseScheduleRef(text: string): { namespace: string; name: string } {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-a-z0-9.]*[a-z0-9])?)$/.exec(text.trim());
  if (!match) {
    throw new AppError(
      "FOLLOW_UP_SCHEDULE_REF_INVALID",
      `--schedule must be namespace/name of a FollowUpSchedule, e.g. hospital/lembretes (got "${text}")`,
    );
  }
  return { namespace: match[1]!, name: match[3]! };
}
