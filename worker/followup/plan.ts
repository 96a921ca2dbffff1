/**
 * The pure part of a follow-up run: which campaigns may get reminders now, when each step is due, when a
 * reminder may go out (the campaign's window) and the text it carries. No I/O here.
 */
import {
  DAYS_OF_WEEK,
  durationMs,
  type CampaignSpec,
  type FollowUpStep,
  type MetaTemplate,
} from "../../crds/index.js";
import type { CampaignState } from "../../lib/db/states.js";
import { renderTemplate, type TemplateValues } from "../../lib/messages/render.js";
import {
  assertTimeZone,
  currentOccurrence,
  nextOccurrence,
  type WindowSpec,
} from "../../lib/pacing/window.js";

/** What a run does with one selected campaign. */
export type CampaignGate =
  /** Reminders are queued. */
  | "follow-up"
  /** The Campaign or its PostgreSQL row is paused: due contacts wait for a later run. */
  | "suspended"
  /** The provider refused the sender (ban risk, credentials): due contacts wait for a later run. */
  | "send-blocked"
  /** The campaign's time zone is unknown to this process: nothing can be placed in its window. */
  | "invalid-time-zone"
  /** A meta-cloud campaign and a step without a Meta-approved template: Meta would refuse the text. */
  | "missing-meta-template"
  /** Completed, cancelled or being deleted: no reminders ever again. */
  | "not-active"
  /** The controller has not recorded the campaign in PostgreSQL yet: nothing was sent, nothing is due. */
  | "not-recorded";

export interface CampaignFacts {
  /** The campaigns row, or undefined when there is none. */
  row?: { state: CampaignState; suspended: boolean; sendBlockedReason: string | null };
  spec: Pick<CampaignSpec, "suspend" | "sender" | "schedule">;
  /** metadata.deletionTimestamp is set. */
  deleting: boolean;
}

/** Decides what a run does with a campaign; pauses win over configuration problems. */
export function campaignGate(
  facts: CampaignFacts,
  steps: readonly Pick<FollowUpStep, "metaTemplate">[],
  respectWindow: boolean,
): CampaignGate {
  const { row } = facts;
  if (!row) return "not-recorded";
  if (row.state !== "active" || facts.deleting) return "not-active";
  if (row.suspended || facts.spec.suspend) return "suspended";
  if (row.sendBlockedReason !== null) return "send-blocked";
  if (facts.spec.sender.provider === "meta-cloud" && steps.some((s) => s.metaTemplate === undefined)) {
    return "missing-meta-template";
  }
  if (respectWindow && !isKnownTimeZone(facts.spec.schedule.timeZone)) return "invalid-time-zone";
  return "follow-up";
}

function isKnownTimeZone(timeZone: string): boolean {
  try {
    assertTimeZone(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The campaign's send window in the shape the window math takes (ISO weekdays, 1 = Monday). */
export function campaignWindow(schedule: CampaignSpec["schedule"]): WindowSpec {
  return {
    timeZone: schedule.timeZone,
    start: schedule.window.start,
    end: schedule.window.end,
    daysOfWeek: schedule.daysOfWeek.map((day) => DAYS_OF_WEEK.indexOf(day) + 1),
  };
}

/**
 * When a reminder queued at `now` may go out: now when inside the window (or when the schedule does not
 * respect windows, `window` undefined), otherwise when the window next opens.
 */
export function reminderNotBefore(now: Date, window: WindowSpec | undefined): Date {
  if (!window || currentOccurrence(now, window)) return now;
  return nextOccurrence(now, window)?.opensAt ?? now;
}

/** One step of the schedule as a run uses it. */
export interface StepPlan {
  /** 1-based position: the outbox row's `step`, and the contact's `follow_up_step` once sent. */
  step: number;
  name: string;
  final: boolean;
  template: string;
  metaTemplate?: MetaTemplate;
  /** Contacts first contacted at or before this instant are due for the step. */
  firstContactedBy: Date;
}

/** `timeScale` (demos and tests only, default 1) multiplies every delay, as the controller's option of that name. */
export function planSteps(steps: readonly FollowUpStep[], now: Date, timeScale = 1): StepPlan[] {
  return steps.map((s, i) => ({
    step: i + 1,
    name: s.name,
    final: s.final,
    template: s.template,
    ...(s.metaTemplate ? { metaTemplate: s.metaTemplate } : {}),
    firstContactedBy: new Date(now.getTime() - durationMs(s.afterFirstMessage) * timeScale),
  }));
}

/** What an outbox row carries for a Meta-approved template (the shape the send path reads). */
export interface OutboxTemplate {
  name: string;
  language: string;
  bodyParams: string[];
}

/** The reminder's text (and Meta template, if the step has one) for one contact. */
export function renderReminder(
  step: Pick<StepPlan, "template" | "metaTemplate">,
  values: TemplateValues,
): { body: string; template: OutboxTemplate | null } {
  return {
    body: renderTemplate(step.template, values),
    template: step.metaTemplate
      ? {
          name: step.metaTemplate.name,
          language: step.metaTemplate.language,
          bodyParams: step.metaTemplate.bodyParameters.map((p) => renderTemplate(p, values)),
        }
      : null,
  };
}

/** Contacts still waiting for a decline reason at or before this instant are closed without one. */
export function declineReasonCutoff(spec: Pick<CampaignSpec, "replies">, now: Date, timeScale = 1): Date {
  return new Date(now.getTime() - durationMs(spec.replies.declineReason.timeout) * timeScale);
}
