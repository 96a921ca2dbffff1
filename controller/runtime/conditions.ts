/**
 * Status conditions the Kubernetes way (metav1.Condition), and the comparison that lets a reconciler
 * skip writing a status that did not change. Pure functions; the caller passes `now`.
 *
 * `setCondition` behaves like apimachinery's meta.SetStatusCondition: `lastTransitionTime` moves only
 * when `status` changes; reason, message and observedGeneration are always updated. A reconcile that
 * finds nothing new therefore produces a byte-identical status, and `statusEqual` says so.
 */

import { formatTime } from "./kube-time.js";

export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  /** CamelCase, e.g. `Ready`. Conditions are a map keyed by type. */
  type: string;
  status: ConditionStatus;
  /** CamelCase programmatic reason; never empty. */
  reason: string;
  /** Human-readable; may be empty. Never patient data. */
  message: string;
  /** The `.metadata.generation` the condition was computed from. */
  observedGeneration?: number;
  /** RFC 3339 time (second precision) of the last status change. */
  lastTransitionTime: string;
}

/** What a reconciler supplies; `lastTransitionTime` is filled in by `setCondition`. */
export type ConditionInput = Omit<Condition, "lastTransitionTime" | "message"> & {
  message?: string;
  lastTransitionTime?: string;
};

/** metav1.Time is RFC 3339 with second precision. */
export function formatConditionTime(now: Date | number): string {
  return formatTime(typeof now === "number" ? now : now.getTime());
}

export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** True when the condition `type` is present with status "True". */
export function isConditionTrue(conditions: readonly Condition[] | undefined, type: string): boolean {
  return findCondition(conditions, type)?.status === "True";
}

/**
 * Returns the conditions with `input` set: added at the end when its type is new (lastTransitionTime =
 * `input.lastTransitionTime` or `now`), otherwise updated in place, moving lastTransitionTime only when
 * the status changed. The input array is not modified.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  input: ConditionInput,
  now: Date | number,
): Condition[] {
  const list = conditions ? [...conditions] : [];
  const index = list.findIndex((c) => c.type === input.type);
  const existing = index >= 0 ? list[index] : undefined;
  const statusChanged = !existing || existing.status !== input.status;
  const next: Condition = {
    type: input.type,
    status: input.status,
    reason: input.reason,
    message: input.message ?? "",
    lastTransitionTime: statusChanged
      ? (input.lastTransitionTime ?? formatConditionTime(now))
      : (existing as Condition).lastTransitionTime,
  };
  if (input.observedGeneration !== undefined) next.observedGeneration = input.observedGeneration;
  if (existing && index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

/** Returns the conditions without `type`. */
export function removeCondition(conditions: readonly Condition[] | undefined, type: string): Condition[] {
  return (conditions ?? []).filter((c) => c.type !== type);
}

/**
 * Deep equality of two JSON-like values, used to skip no-op status writes. Object key order does not
 * matter, array order does, and a property set to `undefined` counts as absent (JSON drops it too).
 */
export function statusEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a === null || b === null || typeof a !== "object" || typeof b !== "object") {
    return Number.isNaN(a) && Number.isNaN(b);
  }
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => statusEqual(item, b[i]));
  }
  const recordA = a as Record<string, unknown>;
  const recordB = b as Record<string, unknown>;
  const keysA = Object.keys(recordA).filter((k) => recordA[k] !== undefined);
  const keysB = Object.keys(recordB).filter((k) => recordB[k] !== undefined);
  if (keysA.length !== keysB.length) return false;
  return keysA.every((k) => Object.hasOwn(recordB, k) && statusEqual(recordA[k], recordB[k]));
}
