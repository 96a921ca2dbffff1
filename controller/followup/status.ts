/**
 * A FollowUpSchedule's status, computed from what the reconcile found: the CronJob, its last schedule and
 * success times, the last run recorded in PostgreSQL and any problem with the spec. Pure; conditions go
 * through setCondition, so a schedule at rest computes exactly the status it already has.
 */
import {
  FollowUpScheduleConditionReason as Reason,
  FollowUpScheduleConditionType as Type,
  type FollowUpScheduleStatus,
} from "../../crds/index.js";
import { formatConditionTime, setCondition, type Condition, type ConditionInput } from "../runtime/index.js";
import type { FinishedRun } from "./run-store.js";

/** Something that keeps the schedule from working as written. */
export interface ScheduleProblem {
  reason: typeof Reason.InvalidTimeZone | typeof Reason.CronJobFailed | "InvalidSpec";
  message: string;
  /** The CronJob could not be made to match the spec (no CronJob, or an old one). */
  cronJob: boolean;
}

export interface StatusInputs {
  generation: number | undefined;
  current: FollowUpScheduleStatus | undefined;
  now: Date;
  /** The CronJob's name when it exists. */
  cronJobName: string | undefined;
  /** The live CronJob's status times (RFC 3339), when known. */
  cronJobStatus: { lastScheduleTime?: string; lastSuccessfulTime?: string } | undefined;
  suspended: boolean;
  problem: ScheduleProblem | undefined;
  lastRun: FinishedRun | undefined;
  /** How many campaigns the schedule covers now. */
  campaigns: number;
}

export function desiredStatus(inputs: StatusInputs): FollowUpScheduleStatus {
  const { problem, generation, now } = inputs;
  let conditions: Condition[] = (inputs.current?.conditions ?? []) as Condition[];
  const set = (condition: Omit<ConditionInput, "observedGeneration">) => {
    conditions = setCondition(
      conditions,
      { ...condition, ...(generation !== undefined ? { observedGeneration: generation } : {}) },
      now,
    );
  };

  if (problem?.cronJob) {
    set({ type: Type.CronJobReady, status: "False", reason: problem.reason, message: problem.message });
  } else {
    set({
      type: Type.CronJobReady,
      status: "True",
      reason: Reason.CronJobInSync,
      message: `CronJob ${inputs.cronJobName ?? ""} matches the spec`,
    });
  }

  const run = inputs.lastRun;
  if (!run) {
    set({
      type: Type.LastRunSucceeded,
      status: "Unknown",
      reason: Reason.NotRunYet,
      message: "No run has finished yet",
    });
  } else if (run.error !== null) {
    set({
      type: Type.LastRunSucceeded,
      status: "False",
      reason: Reason.RunFailed,
      message: run.error.slice(0, 1024),
    });
  } else {
    set({
      type: Type.LastRunSucceeded,
      status: "True",
      reason: Reason.RunSucceeded,
      message: `${run.queued} messages queued, ${run.released} slots released, ${run.skipped} due contacts left for later`,
    });
  }

  if (problem) {
    set({ type: Type.Ready, status: "False", reason: problem.reason, message: problem.message });
  } else if (inputs.suspended) {
    set({
      type: Type.Ready,
      status: "False",
      reason: Reason.Suspended,
      message: "spec.suspend is true: no runs start",
    });
  } else if (inputs.campaigns === 0) {
    set({
      type: Type.Ready,
      status: "True",
      reason: Reason.NoCampaigns,
      message:
        "No campaign is covered (spec.campaigns or a Campaign's spec.followUpScheduleRef): runs find nothing to do",
    });
  } else {
    set({
      type: Type.Ready,
      status: "True",
      reason: Reason.Ready,
      message: `Runs on schedule for ${inputs.campaigns} campaign${inputs.campaigns === 1 ? "" : "s"}`,
    });
  }

  const status: FollowUpScheduleStatus = { conditions };
  if (generation !== undefined) status.observedGeneration = generation;
  if (inputs.cronJobName) status.cronJobName = inputs.cronJobName;
  if (inputs.cronJobStatus?.lastScheduleTime) status.lastScheduleTime = inputs.cronJobStatus.lastScheduleTime;
  if (inputs.cronJobStatus?.lastSuccessfulTime)
    status.lastSuccessfulTime = inputs.cronJobStatus.lastSuccessfulTime;
  if (run) {
    status.lastRun = {
      startTime: formatConditionTime(run.startedAt),
      completionTime: formatConditionTime(run.finishedAt),
      due: run.due,
      queued: run.queued,
      released: run.released,
      skipped: run.skipped,
    };
  }
  return status;
}
