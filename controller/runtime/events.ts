/**
 * Kubernetes Events (events.k8s.io/v1) for what users should know about a resource: `kubectl describe`
 * shows them. Repeats of the same event (same object, type, reason, action and note) within 6 minutes
 * become one Event whose `series.count` grows, instead of a new object each time (like client-go's
 * event recorder). Writing an Event never fails the caller: problems are logged.
 *
 * PRIVACY RULE: an Event is readable by anyone who can read the namespace and is kept by the API server
 * for its event TTL. The recorder writes exactly what it is given and adds nothing; callers pass ids,
 * counts and reasons, never a phone number, a patient name or a message text.
 */
import {
  EventsV1Api,
  setHeaderOptions,
  PatchStrategy,
  type EventsV1Event,
  type KubeConfig,
  type KubernetesObject,
} from "@kubernetes/client-node";
import { AppError, errorMessage } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { describeApiError, isNotFound } from "./api-errors.js";
import { systemClock, type Clock, type ClockTimer } from "./clock.js";
import { formatMicroTime } from "./kube-time.js";

export interface ObjectReference {
  apiVersion: string;
  kind: string;
  namespace?: string;
  name: string;
  uid?: string;
}

export interface EventInput {
  type: "Normal" | "Warning";
  /** CamelCase, specific: `ProviderUnavailable`, not `Error`. At most 128 characters. */
  reason: string;
  /** What was done or failed, CamelCase: `Pause`, `Enqueue`, `Validate`. At most 128 characters. */
  action: string;
  /** Human-readable, at most 1 kB (longer is cut). Ids and counts only: never patient data. */
  note: string;
  /** A second object involved, if any. */
  related?: ObjectReference;
}

export interface EventRecorderOptions {
  kubeConfig: KubeConfig;
  /** Who reports, e.g. "buscaativa.io/controller". */
  reportingController: string;
  /** Which replica reports, e.g. the pod name (at most 128 characters). */
  reportingInstance: string;
  logger: Logger;
  clock?: Clock;
  /** A repeat later than this after the last one starts a new Event; default 360,000 ms (6 min). */
  seriesWindowMs?: number;
  /** Series counts are written at most this often per Event (the 2nd occurrence at once); default 30,000 ms. */
  seriesFlushIntervalMs?: number;
  /** How many distinct events are remembered for aggregation; default 4096. */
  maxTracked?: number;
}

interface Tracked {
  namespace: string;
  name: string;
  count: number;
  writtenCount: number;
  lastObservedAt: number;
  lastWriteAt: number;
  /** Writes for this event run one after another. */
  chain: Promise<void>;
  body: Record<string, unknown>;
}

const REASON_PATTERN = /^[A-Z][A-Za-z0-9]*$/;
const mergePatchHeader = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** A reference to `obj` for `regarding`/`related`. */
export function referenceTo(obj: KubernetesObject): ObjectReference {
  const name = obj.metadata?.name;
  if (!obj.apiVersion || !obj.kind || !name) {
    throw new AppError("EVENT_INVALID", "An Event needs the object's apiVersion, kind and metadata.name");
  }
  const ref: ObjectReference = { apiVersion: obj.apiVersion, kind: obj.kind, name };
  if (obj.metadata?.namespace) ref.namespace = obj.metadata.namespace;
  if (obj.metadata?.uid) ref.uid = obj.metadata.uid;
  return ref;
}

export class EventRecorder {
  private readonly api: EventsV1Api;
  private readonly options: EventRecorderOptions;
  private readonly clock: Clock;
  private readonly windowMs: number;
  private readonly flushIntervalMs: number;
  private readonly maxTracked: number;
  private readonly tracked = new Map<string, Tracked>();
  private flushTimer: ClockTimer | undefined;

  constructor(options: EventRecorderOptions) {
    this.options = options;
    this.api = options.kubeConfig.makeApiClient(EventsV1Api);
    this.clock = options.clock ?? systemClock;
    this.windowMs = options.seriesWindowMs ?? 360_000;
    this.flushIntervalMs = options.seriesFlushIntervalMs ?? 30_000;
    this.maxTracked = options.maxTracked ?? 4096;
    if (!options.reportingController || !options.reportingInstance) {
      throw new AppError(
        "EVENT_RECORDER_INVALID",
        "EventRecorder needs reportingController (e.g. buscaativa.io/controller) and reportingInstance (e.g. the pod name)",
      );
    }
  }

  /**
   * Records `event` about `regarding`. Resolves once the API server has it (or the repeat was
   * counted); never rejects for API problems, which are logged. Throws AppError EVENT_INVALID for a
   * malformed event (a programming error).
   */
  async record(regarding: KubernetesObject | ObjectReference, event: EventInput): Promise<void> {
    const ref =
      "metadata" in regarding || !("name" in regarding)
        ? referenceTo(regarding as KubernetesObject)
        : (regarding as ObjectReference);
    validate(event);
    const note = truncateUtf8(event.note, 1024);
    const namespace = ref.namespace || "default";
    const key = JSON.stringify([
      ref.apiVersion,
      ref.kind,
      namespace,
      ref.name,
      ref.uid ?? "",
      event.type,
      event.reason,
      event.action,
      note,
      event.related ?? null,
    ]);
    const now = this.clock.now();
    const existing = this.tracked.get(key);
    if (existing && now - existing.lastObservedAt <= this.windowMs) {
      existing.count += 1;
      existing.lastObservedAt = now;
      this.touch(key, existing);
      if (existing.count === 2 || now - existing.lastWriteAt >= this.flushIntervalMs) {
        existing.lastWriteAt = now;
        existing.chain = existing.chain.then(() => this.writeSeries(existing));
        return existing.chain;
      }
      this.scheduleFlush();
      return;
    }
    const body: Record<string, unknown> = {
      apiVersion: "events.k8s.io/v1",
      kind: "Event",
      metadata: { name: eventName(ref.name, now), namespace },
      eventTime: formatMicroTime(now),
      regarding: ref,
      type: event.type,
      reason: event.reason,
      action: event.action,
      note,
      reportingController: this.options.reportingController,
      reportingInstance: this.options.reportingInstance,
    };
    if (event.related) body.related = event.related;
    const entry: Tracked = {
      namespace,
      name: (body.metadata as { name: string }).name,
      count: 1,
      writtenCount: 0,
      lastObservedAt: now,
      lastWriteAt: now,
      chain: Promise.resolve(),
      body,
    };
    this.touch(key, entry);
    entry.chain = this.create(entry);
    return entry.chain;
  }

  /** Writes every series count not yet on the API server. */
  async flush(): Promise<void> {
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
    const pending: Promise<void>[] = [];
    for (const entry of this.tracked.values()) {
      if (entry.count > entry.writtenCount && entry.count > 1) {
        entry.lastWriteAt = this.clock.now();
        entry.chain = entry.chain.then(() => this.writeSeries(entry));
        pending.push(entry.chain);
      } else {
        pending.push(entry.chain);
      }
    }
    await Promise.all(pending);
  }

  /** Flushes and stops the flush timer (at shutdown). */
  async stop(): Promise<void> {
    await this.flush();
    this.flushTimer?.cancel();
    this.flushTimer = undefined;
  }

  private async create(entry: Tracked): Promise<void> {
    try {
      await this.api.createNamespacedEvent({
        namespace: entry.namespace,
        body: entry.body as unknown as EventsV1Event,
      });
      entry.writtenCount = Math.max(entry.writtenCount, 1);
    } catch (err) {
      this.options.logger.warn(
        { err: describeApiError(err), reason: entry.body.reason, event: entry.name },
        "Could not create a Kubernetes Event",
      );
    }
  }

  private async writeSeries(entry: Tracked): Promise<void> {
    const count = entry.count;
    if (count <= entry.writtenCount) return;
    const series = { count, lastObservedTime: formatMicroTime(entry.lastObservedAt) };
    try {
      await this.api.patchNamespacedEvent(
        { name: entry.name, namespace: entry.namespace, body: { series } },
        mergePatchHeader,
      );
      entry.writtenCount = count;
    } catch (err) {
      if (isNotFound(err)) {
        // The API server dropped the Event (its TTL passed): start a fresh one.
        const now = this.clock.now();
        entry.name = eventName(String((entry.body.regarding as ObjectReference).name), now);
        entry.body = {
          ...entry.body,
          metadata: { name: entry.name, namespace: entry.namespace },
          eventTime: formatMicroTime(now),
        };
        entry.count = 1;
        entry.writtenCount = 0;
        await this.create(entry);
        return;
      }
      this.options.logger.warn(
        { err: errorMessage(err), reason: entry.body.reason, event: entry.name },
        "Could not update a Kubernetes Event's count",
      );
    }
  }

  private touch(key: string, entry: Tracked): void {
    this.tracked.delete(key);
    this.tracked.set(key, entry);
    while (this.tracked.size > this.maxTracked) {
      const oldest = this.tracked.keys().next().value as string;
      this.tracked.delete(oldest);
    }
  }

  private scheduleFlush(): void {
    if (this.flushTimer) return;
    this.flushTimer = this.clock.setTimeout(() => {
      this.flushTimer = undefined;
      void this.flush();
    }, this.flushIntervalMs);
  }
}

function validate(event: EventInput): void {
  const problems: string[] = [];
  if (event.type !== "Normal" && event.type !== "Warning")
    problems.push(`type must be Normal or Warning (got ${JSON.stringify(event.type)})`);
  if (!REASON_PATTERN.test(event.reason) || event.reason.length > 128) {
    problems.push(`reason must be CamelCase, at most 128 characters (got ${JSON.stringify(event.reason)})`);
  }
  if (!REASON_PATTERN.test(event.action) || event.action.length > 128) {
    problems.push(`action must be CamelCase, at most 128 characters (got ${JSON.stringify(event.action)})`);
  }
  if (problems.length > 0) throw new AppError("EVENT_INVALID", `Invalid Event: ${problems.join("; ")}`);
}

/** `<object name>.<hex nanoseconds>` like client-go, unique per call. */
function eventName(objectName: string, epochMs: number): string {
  const nanos = BigInt(epochMs) * 1_000_000n + BigInt(Math.floor(Math.random() * 1_000_000));
  return `${objectName}.${nanos.toString(16)}`;
}

function truncateUtf8(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, "utf8") <= maxBytes) return text;
  let cut = text.slice(0, maxBytes);
  while (Buffer.byteLength(cut, "utf8") > maxBytes - 3) cut = cut.slice(0, -1);
  return `${cut}...`;
}
