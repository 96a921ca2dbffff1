/**
 * The Campaign's status computed from what the reconciler observed: a pure function, so the same facts
 * always give the same status (no clock reads: a campaign at rest causes no status writes), with
 * lastTransitionTime moving only when a condition's status changes.
 */
import {
  CampaignConditionReason as Reason,
  CampaignConditionType as Type,
  type CampaignPhase,
  type CampaignStatus,
  type PauseReason,
} from "../../crds/index.js";
import type { CampaignCounts as DbCounts } from "../../lib/db/campaign-counts.js";
import { formatTime } from "../runtime/kube-time.js";
import { setCondition, type Condition, type ConditionStatus } from "../runtime/conditions.js";
import type { Finding } from "./rules.js";

export interface ObservedCampaign {
  generation: number;
  previous: CampaignStatus | undefined;
  /** Used only for lastTransitionTime of conditions whose status changes. */
  now: Date;
  deleting: boolean;
  findings: readonly Finding[];
  importState: "none" | "running" | "done";
  importFailure?: string;
  counts: DbCounts | undefined;
  validation: "running" | "done" | "disabled" | "unsupported";
  provider: { state: "open" | "connecting" | "close" | "error" | "unknown"; detail?: string | null };
  sendBlocked: string | null;
  suspended: boolean;
  /** Pacing's reason for planning nothing right now, when it planned nothing. */
  pacingPause?: "NotStarted" | "OutsideWindow" | "DailyQuotaReached" | "DurationReached";
  plannedUnsent: number;
  nextSendAt: Date | null;
  /** No contact is waiting for its first message any more. */
  allFirstMessagesDone: boolean;
  completed: { reason: string; at: Date } | null;
  startTime: Date | null;
  quotaDay: string | undefined;
  sentToday: number;
}

const FINAL_CONTACT_STATES = [
  "confirmed",
  "declined",
  "not_me",
  "no_response",
  "opted_out",
  "no_whatsapp",
  "failed",
] as const;

export function computeStatus(o: ObservedCampaign): CampaignStatus {
  const blocking = o.findings.filter((f) => !f.warning);
  const phase = phaseOf(o, blocking);
  const pauseReason = phase.phase === "Paused" ? phase.pauseReason : undefined;

  let conditions: Condition[] = (o.previous?.conditions as Condition[] | undefined) ?? [];
  const set = (type: string, status: ConditionStatus, reason: string, message: string) => {
    conditions = setCondition(
      conditions,
      { type, status, reason, message, observedGeneration: o.generation },
      o.now,
    );
  };

  const audienceFinding = blocking.find((f) => f.condition === Type.AudienceImported);
  if (audienceFinding) set(Type.AudienceImported, "False", audienceFinding.reason, audienceFinding.message);
  else if (o.importFailure) set(Type.AudienceImported, "False", Reason.AudienceUnreadable, o.importFailure);
  else if (o.importState === "done") {
    const contacts = o.counts?.contacts ?? 0;
    if (contacts === 0)
      set(
        Type.AudienceImported,
        "False",
        Reason.AudienceEmpty,
        "The list has no patient that could be imported",
      );
    else
      set(
        Type.AudienceImported,
        "True",
        Reason.Imported,
        `${contacts} contacts imported, ${o.counts?.rejectedRows ?? 0} rows rejected`,
      );
  } else set(Type.AudienceImported, "Unknown", Reason.Importing, "The patient list is being imported");

  switch (o.validation) {
    case "disabled":
      set(
        Type.NumbersValidated,
        "True",
        Reason.ValidationDisabled,
        "Number validation is off: numbers are tried when sending",
      );
      break;
    case "unsupported":
      set(
        Type.NumbersValidated,
        "True",
        Reason.ValidationUnsupported,
        "The provider cannot check numbers before sending",
      );
      break;
    case "done":
      set(
        Type.NumbersValidated,
        "True",
        Reason.Validated,
        `${o.counts?.valid ?? 0} phones have WhatsApp, ${o.counts?.invalid ?? 0} do not`,
      );
      break;
    default:
      set(
        Type.NumbersValidated,
        "Unknown",
        Reason.Validating,
        `${o.counts?.unchecked ?? 0} phones still to check`,
      );
  }

  const providerFinding = blocking.find((f) => f.condition === Type.ProviderReady);
  if (providerFinding) set(Type.ProviderReady, "False", providerFinding.reason, providerFinding.message);
  else if (o.sendBlocked)
    set(
      Type.ProviderReady,
      "False",
      Reason.ProviderDisconnected,
      `The provider refused the sender (${o.sendBlocked})`,
    );
  else if (o.provider.state === "open")
    set(Type.ProviderReady, "True", Reason.ProviderConnected, "The sender is connected");
  else if (o.provider.state === "unknown")
    set(
      Type.ProviderReady,
      "Unknown",
      Reason.Reconciling,
      "Waiting for a worker to check the sender's connection",
    );
  else if (o.provider.state === "error")
    set(
      Type.ProviderReady,
      "False",
      Reason.ProviderUnreachable,
      o.provider.detail ?? "The provider did not answer",
    );
  else
    set(
      Type.ProviderReady,
      "False",
      Reason.ProviderDisconnected,
      `The sender's connection is ${o.provider.state}`,
    );

  if (phase.phase === "Sending") set(Type.Sending, "True", Reason.SendingMessages, phase.message);
  else if (phase.phase === "Paused") set(Type.Sending, "False", Reason.Paused, phase.message);
  else if (o.allFirstMessagesDone)
    set(Type.Sending, "False", Reason.NothingToSend, "Every contact has had its first message");
  else set(Type.Sending, "False", phase.reason, phase.message);

  if (o.completed) set(Type.Completed, "True", o.completed.reason, phase.message);
  else set(Type.Completed, "False", Reason.NotCompleted, "The campaign is not finished");

  const readyProblem = blocking[0];
  if (o.deleting) set(Type.Ready, "False", Reason.Cancelled, "The campaign is being deleted");
  else if (readyProblem) set(Type.Ready, "False", readyProblem.reason, readyProblem.message);
  else if (phase.phase === "Failed") set(Type.Ready, "False", Reason.Failed, phase.message);
  else set(Type.Ready, "True", Reason.Ready, phase.message);

  const counts = o.counts;
  const finished = counts ? FINAL_CONTACT_STATES.reduce((sum, s) => sum + counts.contactsByState[s], 0) : 0;
  const status: CampaignStatus = {
    observedGeneration: o.generation,
    phase: phase.phase,
    ...(pauseReason ? { pauseReason } : {}),
    message: phase.message,
    progress: counts && counts.contacts > 0 ? Math.floor((finished * 100) / counts.contacts) : 0,
    ...(counts ? { counts: statusCounts(counts) } : {}),
    sentToday: o.sentToday,
    ...(o.quotaDay ? { sentTodayDate: o.quotaDay } : {}),
    ...(o.nextSendAt && phase.phase !== "Completed"
      ? { nextSendTime: formatTime(o.nextSendAt.getTime()) }
      : {}),
    ...(o.startTime ? { startTime: formatTime(o.startTime.getTime()) } : {}),
    ...(o.completed ? { completionTime: formatTime(o.completed.at.getTime()) } : {}),
    ...(counts ? { queue: queueSummary(counts) } : {}),
    conditions,
  };
  return status;
}

interface Phase {
  phase: CampaignPhase;
  pauseReason?: PauseReason;
  reason: string;
  message: string;
}

function phaseOf(o: ObservedCampaign, blocking: readonly Finding[]): Phase {
  if (o.deleting)
    return {
      phase: "Cancelled",
      reason: Reason.Cancelled,
      message: "The campaign was deleted; queued messages were withdrawn",
    };
  if (o.completed) {
    return { phase: "Completed", reason: o.completed.reason, message: completedMessage(o) };
  }
  const specProblem = blocking.find((f) => f.condition === Type.Ready);
  if (specProblem) return { phase: "Failed", reason: specProblem.reason, message: specProblem.message };
  if (o.importFailure)
    return { phase: "Failed", reason: Reason.AudienceUnreadable, message: o.importFailure };
  const audienceProblem = blocking.find((f) => f.condition === Type.AudienceImported);
  if (audienceProblem)
    return { phase: "Pending", reason: audienceProblem.reason, message: audienceProblem.message };
  if (o.importState !== "done")
    return { phase: "Importing", reason: Reason.Importing, message: "Importing the patient list" };
  if (o.importState === "done" && (o.counts?.contacts ?? 0) === 0) {
    return {
      phase: "Failed",
      reason: Reason.AudienceEmpty,
      message: "The list has no patient that could be imported",
    };
  }
  const paused = (pauseReason: PauseReason, message: string): Phase => ({
    phase: "Paused",
    pauseReason,
    reason: Reason.Paused,
    message,
  });
  if (o.suspended) return paused("Suspended", "Suspended by spec.suspend; clear it to resume");
  const providerProblem = blocking.find((f) => f.condition === Type.ProviderReady);
  if (providerProblem) return paused("ProviderUnavailable", providerProblem.message);
  if (o.sendBlocked)
    return paused(
      "ProviderUnavailable",
      `The provider refused the sender (${o.sendBlocked}); resuming when it is connected again`,
    );
  if (o.provider.state !== "open") {
    return paused(
      "ProviderUnavailable",
      o.provider.state === "unknown"
        ? "Waiting for the sender's connection check"
        : `The sender is not connected (${o.provider.state})`,
    );
  }
  if (o.plannedUnsent > 0)
    return { phase: "Sending", reason: Reason.SendingMessages, message: sendingMessage(o) };
  if (o.validation === "running" && !o.allFirstMessagesDone && (o.counts?.contactsByState.ready ?? 0) === 0) {
    return {
      phase: "Validating",
      reason: Reason.Validating,
      message: `Checking which phones have WhatsApp (${o.counts?.unchecked ?? 0} left)`,
    };
  }
  if (o.allFirstMessagesDone)
    return paused("WaitingForReplies", "Every first message is out; waiting for replies and reminders");
  switch (o.pacingPause) {
    case "OutsideWindow":
      return paused("OutsideWindow", "Outside the send window; resuming when it opens");
    case "DailyQuotaReached":
      return paused(
        "DailyQuotaReached",
        `The daily quota is reached (${o.sentToday} contacts today); resuming in the next window`,
      );
    case "NotStarted":
      return paused("NotStartedYet", "Waiting for the start time");
    default:
      return { phase: "Sending", reason: Reason.SendingMessages, message: sendingMessage(o) };
  }
}

function sendingMessage(o: ObservedCampaign): string {
  const c = o.counts;
  return c
    ? `${c.messagesByKind.initial.sent} first messages sent of ${c.contacts} contacts; ${c.replied} replied`
    : "Sending";
}

function completedMessage(o: ObservedCampaign): string {
  const c = o.counts;
  if (!c) return "Completed";
  return `Completed: ${c.confirmed} confirmed, ${c.declined} declined, ${c.notMe} not the patient, ${c.noResponse} no response, ${c.optedOut} opted out, ${c.noWhatsapp} without WhatsApp`;
}

function statusCounts(c: DbCounts): NonNullable<CampaignStatus["counts"]> {
  const initial = c.messagesByKind.initial;
  return {
    contacts: c.contacts,
    phones: c.phones,
    valid: c.valid,
    invalid: c.invalid + c.notSendable,
    rejectedRows: c.rejectedRows,
    queued: initial.queued,
    sent: (["sent", "awaiting_reason", "confirmed", "declined", "not_me", "no_response"] as const).reduce(
      (sum, state) => sum + c.contactsByState[state],
      0,
    ),
    failed: c.contactsByState.failed,
    delivered: initial.delivered,
    read: initial.read,
    replied: c.replied,
    confirmed: c.confirmed,
    declined: c.declined,
    notMe: c.notMe,
    noResponse: c.noResponse,
    optedOut: c.optedOut,
  };
}

function queueSummary(c: DbCounts): NonNullable<CampaignStatus["queue"]> {
  const of = (k: "initial" | "follow_up") => {
    const m = c.messagesByKind[k];
    return { waiting: m.queued, completed: m.sent, failed: m.failed };
  };
  const followUp = c.messagesByKind.follow_up;
  const release = c.messagesByKind.release;
  return {
    validate: {
      waiting: c.unchecked - c.notSendable > 0 ? c.unchecked - c.notSendable : 0,
      completed: c.valid + c.invalid,
    },
    send: of("initial"),
    followUp: {
      waiting: followUp.queued + release.queued,
      completed: followUp.sent + release.sent,
      failed: followUp.failed + release.failed,
    },
  };
}
