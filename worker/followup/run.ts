/**
 * `busca-ativa followup run --schedule ns/name`: one run of a FollowUpSchedule, started by the CronJob the
 * controller keeps for it. It reads the schedule and the campaigns it covers, queues the reminders that are
 * due (the final step releases the slot and marks the contact no-response), closes declines whose reason
 * never came, records the run in `follow_up_runs` and returns the counts. Safe to run twice: nothing is
 * queued twice (docs/follow-up.md).
 */
import type { KubeConfig } from "@kubernetes/client-node";
import type { Pool } from "pg";
import { NO_REASON_GIVEN_CODE, type Campaign, type FollowUpSchedule } from "../../crds/index.js";
import { withTransaction } from "../../lib/db/pool.js";
import { errorMessage } from "../../lib/errors.js";
import { campaignsCoveredBy } from "../../lib/followup/selection.js";
import type { Logger } from "../../lib/logger.js";
import type { JobProducer } from "../../lib/queue/producer.js";
import { emptyCounts, followUpCampaign } from "./campaign-run.js";
import { listCampaigns, readFollowUpSchedule } from "./kube.js";
import { campaignGate, campaignWindow, declineReasonCutoff, planSteps, type CampaignGate } from "./plan.js";
import { finishRunRecord, startRunRecord, type RunCounts } from "./run-record.js";
import {
  closeUnansweredDeclines,
  countDueContacts,
  readCampaignRows,
  setAuditActor,
  type CampaignRow,
} from "./store.js";

export interface FollowUpRunOptions {
  pool: Pool;
  producer: Pick<JobProducer, "addBulk">;
  kc: KubeConfig;
  namespace: string;
  name: string;
  /** The run's clock; default the current time. */
  now?: Date;
  logger: Logger;
  /** Contacts per transaction; default 500. */
  batchSize?: number;
  /**
   * Accelerated time for demos and tests only: step delays and the decline-reason timeout are multiplied
   * by it (0.001: 24h becomes 86.4 s), as the Campaign controller's timeScale. Default 1.
   */
  timeScale?: number;
}

export interface CampaignRunSummary extends RunCounts {
  /** The Campaign's metadata.uid. */
  uid: string;
  name: string;
  outcome: CampaignGate;
  /** Contacts closed as declined with reason `not-given` (their reason never came). */
  declinedWithoutReason: number;
}

export interface FollowUpRunResult extends RunCounts {
  /** `namespace/name` of the schedule. */
  schedule: string;
  /** The follow_up_runs row; undefined when nothing ran (the schedule is suspended). */
  runId?: number;
  /** spec.suspend was true: nothing was done. */
  suspended: boolean;
  declinedWithoutReason: number;
  campaigns: CampaignRunSummary[];
  /** Campaigns of the namespace whose objects could not be read (name and problem). */
  unreadableCampaigns: string[];
}

export async function runFollowUp(options: FollowUpRunOptions): Promise<FollowUpRunResult> {
  const now = options.now ?? new Date();
  const schedule = await readFollowUpSchedule(options.kc, options.namespace, options.name);
  const key = `${options.namespace}/${options.name}`;
  const logger = options.logger.child({ schedule: key });
  const result: FollowUpRunResult = {
    schedule: key,
    suspended: schedule.spec.suspend,
    ...emptyCounts(),
    declinedWithoutReason: 0,
    campaigns: [],
    unreadableCampaigns: [],
  };
  if (schedule.spec.suspend) {
    logger.info("The FollowUpSchedule is suspended; the run did nothing");
    return result;
  }
  const runId = await startRunRecord(options.pool, {
    scheduleUid: schedule.metadata.uid ?? "",
    namespace: options.namespace,
    name: options.name,
    startedAt: now,
  });
  result.runId = runId;
  const started = performance.now();
  try {
    const { campaigns, unreadable } = await listCampaigns(options.kc, options.namespace);
    result.unreadableCampaigns = unreadable;
    if (unreadable.length > 0)
      logger.warn({ unreadable }, "Some Campaigns could not be read and were left out");
    const covered = campaignsCoveredBy(schedule, campaigns);
    const rows = await readCampaignRows(
      options.pool,
      covered.map((c) => c.metadata.uid ?? ""),
    );
    for (const campaign of covered) {
      const summary = await runCampaign(
        options,
        logger,
        now,
        schedule,
        campaign,
        rows.get(campaign.metadata.uid ?? ""),
      );
      result.campaigns.push(summary);
      result.due += summary.due;
      result.queued += summary.queued;
      result.released += summary.released;
      result.skipped += summary.skipped;
      result.declinedWithoutReason += summary.declinedWithoutReason;
    }
  } catch (err) {
    await finishRunRecord(options.pool, runId, {
      finishedAt: new Date(now.getTime() + (performance.now() - started)),
      counts: result,
      error: errorMessage(err),
    }).catch((recordErr: unknown) =>
      logger.error({ error: errorMessage(recordErr) }, "Could not record the failed run"),
    );
    throw err;
  }
  await finishRunRecord(options.pool, runId, {
    finishedAt: new Date(now.getTime() + (performance.now() - started)),
    counts: result,
  });
  logger.info(
    {
      runId,
      campaigns: result.campaigns.length,
      due: result.due,
      queued: result.queued,
      released: result.released,
      skipped: result.skipped,
      declinedWithoutReason: result.declinedWithoutReason,
    },
    "Finished the follow-up run",
  );
  return result;
}

async function runCampaign(
  options: FollowUpRunOptions,
  logger: Logger,
  now: Date,
  schedule: FollowUpSchedule,
  campaign: Campaign,
  row: CampaignRow | undefined,
): Promise<CampaignRunSummary> {
  const uid = campaign.metadata.uid ?? "";
  const ref = { uid, namespace: options.namespace, name: campaign.metadata.name };
  const steps = planSteps(schedule.spec.steps, now, options.timeScale ?? 1);
  const outcome = campaignGate(
    {
      ...(row ? { row } : {}),
      spec: campaign.spec,
      deleting: campaign.metadata.deletionTimestamp !== undefined,
    },
    schedule.spec.steps,
    schedule.spec.respectWindow,
  );
  const summary: CampaignRunSummary = {
    uid,
    name: ref.name,
    outcome,
    ...emptyCounts(),
    declinedWithoutReason: 0,
  };
  if (outcome === "not-recorded" || outcome === "not-active") return summary;

  // Closing a decline that never got its reason sends nothing, so paused campaigns get it too.
  summary.declinedWithoutReason = await withTransaction(options.pool, async (client) => {
    await setAuditActor(client, "decline reason timed out");
    return closeUnansweredDeclines(
      client,
      uid,
      declineReasonCutoff(campaign.spec, now, options.timeScale ?? 1),
      NO_REASON_GIVEN_CODE,
    );
  });
  if (summary.declinedWithoutReason > 0) {
    logger.info(
      { campaignUid: uid, contacts: summary.declinedWithoutReason },
      "Closed declines whose reason never came",
    );
  }

  if (outcome !== "follow-up") {
    // Due contacts wait for a later run; count them so the status shows what is held back.
    for (const step of steps) {
      summary.skipped += await countDueContacts(options.pool, {
        campaignUid: uid,
        step: step.step,
        firstContactedBy: step.firstContactedBy,
      });
    }
    summary.due = summary.skipped;
    logger.info(
      { campaignUid: uid, outcome, held: summary.skipped },
      "Left a campaign's reminders for a later run",
    );
    return summary;
  }
  const counts = await followUpCampaign({
    pool: options.pool,
    producer: options.producer,
    logger,
    now,
    campaign: ref,
    steps,
    window: schedule.spec.respectWindow ? campaignWindow(campaign.spec.schedule) : undefined,
    ...(options.batchSize ? { batchSize: options.batchSize } : {}),
  });
  return { ...summary, ...counts };
}
