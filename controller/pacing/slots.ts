/**
 * Pacing: when the next sends of a campaign may happen. Pure: the caller passes the clock and the counts.
 *
 * Rules (docs/pacing.md):
 * - sends happen only inside the window, on its days, and not before `startTime`;
 * - at most `dailyQuota` contacts are started per window occurrence (the quota day);
 * - consecutive sends are `interval` apart, where interval defaults to window ÷ quota and is never under 5 s;
 *   each gap is spread by a deterministic jitter of ±`jitterPercent` (never under 5 s), so re-planning gives the
 *   same times and sends do not look automated;
 * - the campaign ends `durationDays` after it first started (a resume does not reset it).
 */
import { currentOccurrence, nextOccurrence, windowLengthSeconds, type WindowSpec } from "./window.js";

export const MIN_INTERVAL_SECONDS = 5;

export interface PacingSpec {
  window: WindowSpec;
  /** Contacts started per quota day. */
  dailyQuota: number;
  /** Seconds between sends; default window ÷ quota, never under 5 s. */
  intervalSeconds?: number;
  /** Each gap is spread by up to ± this percent of the interval; default 0. */
  jitterPercent?: number;
  /** No send before this instant. */
  startTime?: Date;
  /** The least gap between sends; default 5 s (lower only under an accelerated demo clock). */
  minIntervalSeconds?: number;
  /** The campaign ends this many days after it first started; 0 or missing: until the list is done. */
  durationDays?: number;
}

export interface PacingState {
  now: Date;
  /** When the campaign first started sending; the duration counts from here. */
  firstStartedAt?: Date;
  /** The latest planned send time so far (the next one is at least an interval after it). */
  lastSlotAt?: Date;
  /** Contacts already planned or sent in the quota day `quotaDay`. */
  usedToday: number;
  /** The quota day `usedToday` refers to ("YYYY-MM-DD"); a different day means nothing is used yet. */
  quotaDay?: string;
  /** A stable seed (the campaign's uid) for the jitter. */
  seed: string;
  /** The index of the next slot across the campaign's life, for the jitter. */
  slotIndex: number;
}

export type PauseReason = "NotStarted" | "OutsideWindow" | "DailyQuotaReached" | "DurationReached";

export interface Slot {
  at: Date;
  /** The quota day the slot counts against. */
  quotaDay: string;
}

export interface SlotPlan {
  slots: Slot[];
  /** Set when no slot could be planned now: why. */
  pauseReason?: PauseReason;
  /** When to look again: the next slot to plan after this slice, or when the window or quota reopens. */
  wakeAt?: Date;
  /** When the campaign's duration ends, if it has one. */
  endsAt?: Date;
}

export function effectiveIntervalSeconds(
  spec: Pick<PacingSpec, "window" | "dailyQuota" | "intervalSeconds" | "minIntervalSeconds">,
): number {
  const min = spec.minIntervalSeconds ?? MIN_INTERVAL_SECONDS;
  if (spec.intervalSeconds !== undefined) return Math.max(min, spec.intervalSeconds);
  if (spec.dailyQuota <= 0) return min;
  return Math.max(min, Math.floor(windowLengthSeconds(spec.window) / spec.dailyQuota));
}

/** A deterministic fraction in [0, 1) from a seed and an index (FNV-1a). */
export function jitterFraction(seed: string, index: number): number {
  let hash = 0x811c9dc5;
  const text = `${seed}#${index}`;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash / 0x100000000;
}

export function campaignEndsAt(spec: PacingSpec, firstStartedAt?: Date): Date | undefined {
  if (!spec.durationDays || !firstStartedAt) return undefined;
  return new Date(firstStartedAt.getTime() + spec.durationDays * 86_400_000);
}

/**
 * Plans up to `max` send slots from `state.now` on. Slots stay inside the current window occurrence; the
 * next occurrence is planned when it opens (the returned `wakeAt`).
 */
export function planSlots(spec: PacingSpec, state: PacingState, max: number): SlotPlan {
  const now = state.now;
  const endsAt = campaignEndsAt(spec, state.firstStartedAt);
  if (endsAt && now >= endsAt) return { slots: [], pauseReason: "DurationReached", endsAt };
  if (spec.startTime && now < spec.startTime) {
    return { slots: [], pauseReason: "NotStarted", wakeAt: spec.startTime, endsAt };
  }
  const occurrence = currentOccurrence(now, spec.window);
  if (!occurrence) {
    return {
      slots: [],
      pauseReason: "OutsideWindow",
      wakeAt: nextOccurrence(now, spec.window)?.opensAt,
      endsAt,
    };
  }
  const used = state.quotaDay === occurrence.day ? state.usedToday : 0;
  const left = Math.max(0, spec.dailyQuota - used);
  if (left === 0) {
    return {
      slots: [],
      pauseReason: "DailyQuotaReached",
      wakeAt:
        nextOccurrence(occurrence.closesAt, spec.window)?.opensAt ??
        nextOccurrence(now, spec.window)?.opensAt,
      endsAt,
    };
  }
  const intervalMs = effectiveIntervalSeconds(spec) * 1000;
  const spread = Math.min(100, Math.max(0, spec.jitterPercent ?? 0)) / 100;
  const slots: Slot[] = [];
  let previous = state.lastSlotAt;
  let index = state.slotIndex;
  while (slots.length < Math.min(max, left)) {
    const factor = 1 + (2 * jitterFraction(state.seed, index) - 1) * spread;
    const gap = Math.max(
      (spec.minIntervalSeconds ?? MIN_INTERVAL_SECONDS) * 1000,
      Math.round(intervalMs * factor),
    );
    const candidate = previous ? new Date(Math.max(now.getTime(), previous.getTime() + gap)) : now;
    if (candidate >= occurrence.closesAt) break;
    if (endsAt && candidate >= endsAt) break;
    slots.push({ at: candidate, quotaDay: occurrence.day });
    previous = candidate;
    index++;
  }
  if (slots.length === 0) {
    // The next gap runs past the window's end: wait for the next occurrence.
    return { slots, pauseReason: "OutsideWindow", wakeAt: nextOccurrence(now, spec.window)?.opensAt, endsAt };
  }
  return { slots, wakeAt: slots[slots.length - 1]!.at, endsAt };
}
