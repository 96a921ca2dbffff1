/**
 * The controller loop: informer events become work queue keys (`namespace/name`), workers call
 * `reconcile(key)`, and the outcome decides what happens to the key, as in controller-runtime:
 * - success: the key's backoff is forgotten; `{ requeueAfterMs }` adds it again after that delay;
 * - a thrown error: retried with the per-key backoff (5 ms doubling to 1000 s); a `requeueAfterMs` on
 *   the error is ignored with a warning (the error wins), and a `TerminalError` is not retried;
 * - nothing a reconcile throws stops the controller; programming errors (TypeError, ...) are counted
 *   as panics.
 * Owned objects (e.g. CronJobs) map to their controlling owner's key through ownerReferences.
 */
import type { KubernetesObject } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import { AppError, errorMessage } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { systemClock, type Clock } from "./clock.js";
import { ControllerMetrics } from "./controller-metrics.js";
import { objectKey } from "./keys.js";
import { controllerOwnerKey, type OwnerType } from "./owner.js";
import { WorkQueue } from "./workqueue.js";

export interface ReconcileResult {
  /** Reconcile this key again after this many milliseconds (e.g. the next send slot). */
  requeueAfterMs?: number;
}

export interface ReconcileContext {
  /** Aborted when the controller stops (lost leadership, shutdown): stop early, do not start new work. */
  signal: AbortSignal;
  logger: Logger;
  /** How many times in a row this key has failed before this attempt. */
  retries: number;
}

export type Reconciler = (key: string, context: ReconcileContext) => Promise<ReconcileResult | void>;

/** An error that retrying cannot fix (bad spec...): logged and counted, the key is not retried. */
export class TerminalError extends AppError {
  constructor(code: string, message: string, details: Record<string, unknown> = {}, options?: ErrorOptions) {
    super(code, message, details, options);
    this.name = "TerminalError";
  }
}

/** What the controller needs from an informer. `Informer` fits. */
export interface ObjectEventSource<T extends KubernetesObject> {
  readonly name: string;
  on(event: "add", handler: (obj: T) => void): void;
  on(event: "update", handler: (obj: T, old: T) => void): void;
  on(event: "delete", handler: (obj: T) => void): void;
  waitForSync(timeoutMs?: number): Promise<void>;
  list(): T[];
}

/** Decides whether an event enqueues; `old` is set for updates. Resync updates (obj === old) always pass. */
export type EventPredicate<T> = (obj: T, old?: T) => boolean;

export interface WatchOptions<T> {
  predicate?: EventPredicate<T>;
}

export interface ControllerOptions {
  /** The `controller` label of the metrics and the logger's `controller` field, e.g. "campaign". */
  name: string;
  reconcile: Reconciler;
  /** Keys reconciled at the same time (never the same key twice); default 1, like controller-runtime. */
  workers?: number;
  /** Default: a new WorkQueue named after the controller, with the same clock and registry. */
  queue?: WorkQueue;
  logger: Logger;
  registry?: Registry;
  clock?: Clock;
  /** How long `start()` waits for the watched informers to sync; default 120,000 ms (2 min). */
  cacheSyncTimeoutMs?: number;
}

/** Skips updates that did not change `.metadata.generation` (status-only writes), like controller-runtime's GenerationChangedPredicate. */
export function generationChanged<T extends KubernetesObject>(obj: T, old?: T): boolean {
  if (!old) return true;
  return obj.metadata?.generation !== old.metadata?.generation;
}

export class Controller {
  readonly name: string;
  readonly queue: WorkQueue;
  private readonly options: ControllerOptions;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly metrics: ControllerMetrics | undefined;
  private readonly workers: number;
  private readonly sources: Array<{
    source: ObjectEventSource<KubernetesObject>;
    keysOf: (obj: KubernetesObject) => string[];
  }> = [];
  private readonly stopping = new AbortController();
  private running: Promise<void> | undefined;
  private started = false;

  constructor(options: ControllerOptions) {
    this.name = options.name;
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger.child({ controller: options.name });
    this.workers = options.workers ?? 1;
    if (!Number.isInteger(this.workers) || this.workers < 1) {
      throw new RangeError(
        `Controller "${options.name}": option workers must be a whole number of at least 1 (got ${this.workers})`,
      );
    }
    this.queue =
      options.queue ?? new WorkQueue({ name: options.name, clock: this.clock, registry: options.registry });
    this.metrics = options.registry ? ControllerMetrics.for(options.registry) : undefined;
    this.metrics?.init(this.name, this.workers);
  }

  /** Reconciles the objects of `source` themselves: each event enqueues the object's own key. */
  watch<T extends KubernetesObject>(source: ObjectEventSource<T>, options: WatchOptions<T> = {}): this {
    return this.watchMapped(source, (obj) => [objectKey(obj)], options);
  }

  /** Reconciles the controlling owner (of type `owner`) of each object of `source`, e.g. a CronJob's FollowUpSchedule. */
  watchOwned<T extends KubernetesObject>(
    source: ObjectEventSource<T>,
    owner: OwnerType,
    options: WatchOptions<T> = {},
  ): this {
    return this.watchMapped(
      source,
      (obj) => {
        const key = controllerOwnerKey(obj, owner);
        return key ? [key] : [];
      },
      options,
    );
  }

  /** Reconciles whatever keys `map` returns for each object of `source`. */
  watchMapped<T extends KubernetesObject>(
    source: ObjectEventSource<T>,
    map: (obj: T) => string[],
    options: WatchOptions<T> = {},
  ): this {
    const predicate = options.predicate ?? (() => true);
    const enqueue = (obj: T) => {
      for (const key of map(obj)) this.queue.add(key);
    };
    source.on("add", (obj) => {
      if (predicate(obj)) enqueue(obj);
    });
    source.on("update", (obj, old) => {
      if (obj !== old && !predicate(obj, old)) return;
      // An owner reference may have moved: the previous owner must hear about it too.
      const keys = new Set(obj === old ? map(obj) : [...map(obj), ...map(old)]);
      for (const key of keys) this.queue.add(key);
    });
    source.on("delete", (obj) => {
      if (predicate(obj)) enqueue(obj);
    });
    this.sources.push({
      source: source as unknown as ObjectEventSource<KubernetesObject>,
      keysOf: map as (obj: KubernetesObject) => string[],
    });
    return this;
  }

  /** Adds `key` to the queue now. */
  enqueue(key: string): void {
    this.queue.add(key);
  }

  /** Adds `key` after `delayMs` (an earlier pending time wins). */
  enqueueAfter(key: string, delayMs: number): void {
    this.queue.addAfter(key, delayMs);
  }

  /**
   * Waits for every watched informer to sync, enqueues every object they hold, then starts the
   * workers and returns. Rejects when an informer does not sync within cacheSyncTimeoutMs.
   */
  async start(): Promise<void> {
    if (this.started) throw new Error(`Controller "${this.name}" was already started`);
    this.started = true;
    const timeout = this.options.cacheSyncTimeoutMs ?? 120_000;
    await Promise.all(this.sources.map(({ source }) => source.waitForSync(timeout)));
    for (const { source, keysOf } of this.sources) {
      for (const obj of source.list()) for (const key of keysOf(obj)) this.queue.add(key);
    }
    this.logger.info({ workers: this.workers }, "Controller started");
    this.running = this.queue.process((key) => this.reconcileKey(key), { workers: this.workers });
  }

  /**
   * Stops taking work and resolves when the reconciles in progress have finished. `drain` (default
   * false) also processes the keys already queued; reconciles see their signal aborted either way.
   */
  async stop(options: { drain?: boolean } = {}): Promise<void> {
    this.stopping.abort();
    await this.queue.shutDown({ drain: options.drain ?? false });
    await this.running;
    this.logger.info("Controller stopped");
  }

  private async reconcileKey(key: string): Promise<void> {
    const startedAt = this.clock.now();
    const labels = { controller: this.name };
    this.metrics?.activeWorkers.inc(labels);
    const logger = this.logger.child({ key });
    try {
      const result = await this.options.reconcile(key, {
        signal: this.stopping.signal,
        logger,
        retries: this.queue.numRequeues(key),
      });
      this.queue.forget(key);
      const after = result?.requeueAfterMs;
      if (after !== undefined && after > 0) {
        this.queue.addAfter(key, after);
        this.metrics?.total.inc({ ...labels, result: "requeue_after" });
      } else {
        this.metrics?.total.inc({ ...labels, result: "success" });
      }
    } catch (err) {
      this.metrics?.total.inc({ ...labels, result: "error" });
      this.metrics?.errors.inc(labels);
      if (isProgrammingError(err)) this.metrics?.panics.inc(labels);
      if (err instanceof TerminalError) {
        this.metrics?.terminalErrors.inc(labels);
        this.queue.forget(key);
        logger.error({ err: errorMessage(err), code: err.code }, "Reconcile failed for good; not retrying");
        return;
      }
      if (typeof (err as { requeueAfterMs?: unknown } | null)?.requeueAfterMs === "number") {
        logger.warn(
          "Reconcile threw an error with requeueAfterMs; the error wins and requeueAfterMs is ignored",
        );
      }
      this.queue.rateLimitedAdd(key);
      logger.error(
        {
          err: errorMessage(err),
          code: err instanceof AppError ? err.code : undefined,
          retries: this.queue.numRequeues(key),
          retryInMs:
            this.queue.delayedUntil(key) !== undefined
              ? (this.queue.delayedUntil(key) as number) - this.clock.now()
              : undefined,
        },
        isProgrammingError(err)
          ? "Reconcile threw a programming error; retrying"
          : "Reconcile failed; retrying",
      );
    } finally {
      this.metrics?.activeWorkers.dec(labels);
      this.metrics?.time.observe(labels, (this.clock.now() - startedAt) / 1000);
    }
  }
}

/** The TypeScript counterpart of a Go panic: a bug rather than a failure of the world. */
function isProgrammingError(err: unknown): boolean {
  return (
    !(err instanceof Error) ||
    err instanceof TypeError ||
    err instanceof ReferenceError ||
    err instanceof RangeError ||
    err instanceof SyntaxError
  );
}
