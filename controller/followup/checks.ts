/**
 * The pure decisions of a FollowUpSchedule reconcile: what applying the CronJob intent would change, whether
 * a CronJob is ours, and the spec problems the API server cannot see.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { FollowUpSchedule, FollowUpScheduleStatus } from "../../crds/index.js";
import { assertTimeZone } from "../../lib/pacing/window.js";
import type { CoveredCampaign } from "./coverage.js";
import { intentHashOf, type ScheduleIdentity } from "./cronjob.js";
import { containsIntent } from "./in-sync.js";
import type { ScheduleProblem } from "./status.js";

/** What applying the intent does: create it, follow a spec or configuration change, undo drift, or nothing. */
export type Change = "created" | "updated" | "drift" | "none";

export function identityOf(
  schedule: FollowUpSchedule,
  namespace: string,
  name: string,
  uid: string,
): ScheduleIdentity {
  return {
    apiVersion: schedule.apiVersion,
    kind: schedule.kind,
    metadata: { name, namespace, uid },
    spec: {
      schedule: schedule.spec.schedule,
      timeZone: schedule.spec.timeZone,
      suspend: schedule.spec.suspend,
    },
  };
}

/** What applying the intent would do to the live CronJob. */
export function whatChanges(
  intent: KubernetesObject,
  live: KubernetesObject | undefined,
  existedBefore: boolean,
): Change {
  if (!live) return existedBefore ? "drift" : "created";
  if (intentHashOf(live) !== intentHashOf(intent)) return "updated";
  return containsIntent(intent, live) ? "none" : "drift";
}

export function isControlledBy(obj: KubernetesObject, uid: string): boolean {
  return obj.metadata?.ownerReferences?.some((r) => r.controller === true && r.uid === uid) ?? false;
}

export function isKnownTimeZone(timeZone: string): boolean {
  try {
    assertTimeZone(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** Meta refuses free text outside the 24-hour window: meta-cloud campaigns need a template on every step. */
export function metaTemplateProblem(
  schedule: FollowUpSchedule,
  covered: readonly CoveredCampaign[],
): ScheduleProblem | undefined {
  const meta = covered.filter((c) => c.spec.sender?.provider === "meta-cloud").map((c) => c.metadata.name);
  const missing = schedule.spec.steps.filter((s) => s.metaTemplate === undefined).map((s) => s.name);
  if (meta.length === 0 || missing.length === 0) return undefined;
  return {
    reason: "InvalidSpec",
    message: `Campaign${meta.length === 1 ? "" : "s"} ${meta.join(", ")} send through meta-cloud, and step${missing.length === 1 ? "" : "s"} ${missing.join(", ")} have no metaTemplate (Meta refuses free text outside the 24-hour window): add spec.steps[*].metaTemplate. Their reminders are not sent meanwhile.`,
    cronJob: false,
  };
}

/** Merge patch keeps fields it is not given: fields the new status drops are sent as null. */
export function nullsForRemoved(
  current: FollowUpScheduleStatus,
  next: FollowUpScheduleStatus,
): Record<string, null> {
  const removed: Record<string, null> = {};
  for (const key of Object.keys(current)) {
    if (!(key in next)) removed[key] = null;
  }
  return removed;
}
