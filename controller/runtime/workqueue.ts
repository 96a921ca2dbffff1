/**
 * A rate-limited, delaying work queue of string keys with client-go's guarantees:
 * - a key waits in the queue at most once (adding it again while it waits does nothing);
 * - a key is never handed to two workers at once: a key added while it is being processed is queued
 *   again when `done(key)` is called, so the work runs once more afterwards;
 * - `rateLimitedAdd` retries a key after a per-key exponential backoff (5 ms doubling to 1000 s) until
 *   `forget(key)`;
 * - `addAfter(key, ms)` adds later; when a key is already waiting, the earliest time wins.
 * Time comes from an injectable clock, so tests run without sleeping.
 */
import type { Registry } from "prom-client";
import { exponentialDelay, ItemExponentialBackoff, type ItemBackoffOptions } from "./backoff.js";
import { systemClock, type Clock, type ClockTimer } from "./clock.js";
import { heapPop, heapPush, type DelayedEntry } from "./delay-heap.js";
import { WorkQueueMetrics, type QueueMetricsSource } from "./workqueue-metrics.js";

export interface WorkQueueOptions {
  /** Queue name: the `name` label of the workqueue_* metrics, and in logs. */
  name: string;
  /** Default: the system clock. */
  clock?: Clock;
  /** Where the workqueue_* metrics go; default none. */
  registry?: Registry;
  /** Per-key failure backoff; default 5 ms doubling to 1000 s. */
  backoff?: ItemBackoffOptions;
}

export interface ShutDownOptions {
  /**
   * true (default): workers keep taking the keys already queued until the queue is empty.
   * false: queued keys are dropped; only the keys being processed are finished.
   * Either way no new key is accepted and delayed adds are cancelled.
   */
  drain?: boolean;
}

export interface ProcessOptions {
  /** How many keys are processed at the same time; default 1 (controller-runtime's default). */
  workers?: number;
  /** Called when `handler` throws; the key is then retried with backoff. */
  onError?: (key: string, err: unknown) => void;
}

export class WorkQueue implements QueueMetricsSource {
  readonly name: string;
  private readonly clock: Clock;
  private readonly limiter: ItemExponentialBackoff;
  private readonly metrics: WorkQueueMetrics | undefined;

  /** FIFO of keys ready to be handed out; `head` avoids O(n) shifts. */
  private items: string[] = [];
  private head = 0;
  /** Keys that need processing (queued, or re-added while processing). */
  private readonly dirty = new Set<string>();
  /** Keys being processed, with their start time. */
  private readonly processing = new Map<string, number>();
  /** When each queued key was first added, for workqueue_queue_duration_seconds. */
  private readonly addedAt = new Map<string, number>();
  /** Delayed adds: the earliest time per key, and a min-heap over them (stale entries skipped). */
  private readonly waitingUntil = new Map<string, number>();
  private heap: DelayedEntry[] = [];
  private timer: ClockTimer | undefined;
  private timerDue = Infinity;

  private getters: Array<(key: string | undefined) => void> = [];
  private idleWaiters: Array<() => void> = [];
  private shuttingDown = false;
  private draining = true;

  constructor(options: WorkQueueOptions) {
    this.name = options.name;
    this.clock = options.clock ?? systemClock;
    this.limiter = new ItemExponentialBackoff(options.backoff);
    this.metrics = options.registry ? WorkQueueMetrics.for(options.registry) : undefined;
    this.metrics?.attach(this);
  }

  /** Queues `key` for processing unless it is already queued. Ignored after shutdown. */
  add(key: string): void {
    if (this.shuttingDown) return;
    if (this.dirty.has(key)) return;
    this.metrics?.adds.inc({ name: this.name });
    this.dirty.add(key);
    if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
    if (this.processing.has(key)) return; // queued again by done()
    this.push(key);
  }

  /**
   * Adds `key` after `delayMs` (now when 0 or less). If the key is already waiting for an earlier
   * time, that time stands: a later addAfter never postpones an earlier one.
   */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    const readyAt = this.clock.now() + delayMs;
    const current = this.waitingUntil.get(key);
    if (current !== undefined && current <= readyAt) return;
    this.waitingUntil.set(key, readyAt);
    heapPush(this.heap, { readyAt, key });
    if (readyAt < this.timerDue) this.armTimer(readyAt);
  }

  /** Retries `key` after its backoff (5 ms, 10 ms, 20 ms, ... up to 1000 s) and counts a retry. */
  rateLimitedAdd(key: string): void {
    if (this.shuttingDown) return;
    this.metrics?.retries.inc({ name: this.name });
    this.addAfter(key, this.limiter.when(key));
  }

  /** Resets the backoff of `key` (call after it was processed successfully). */
  forget(key: string): void {
    this.limiter.forget(key);
  }

  /** How many rate-limited retries `key` has had since it was last forgotten. */
  numRequeues(key: string): number {
    return this.limiter.numRequeues(key);
  }

  /** The delay the next `rateLimitedAdd(key)` would use, without counting it. */
  nextBackoffMs(key: string): number {
    return exponentialDelay(this.limiter.numRequeues(key), this.limiter.baseDelayMs, this.limiter.maxDelayMs);
  }

  /**
   * The next key to process, marked as processing; resolves `undefined` once the queue is shut down
   * (after draining when it drains). Every key received must be passed to `done` afterwards.
   */
  get(): Promise<string | undefined> {
    const key = this.tryGet();
    if (key !== undefined) return Promise.resolve(key);
    if (this.shuttingDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.getters.push(resolve));
  }

  /** Like `get` but never waits: the next key, or undefined when none is ready. */
  tryGet(): string | undefined {
    if (this.shuttingDown && !this.draining) return undefined;
    if (this.head >= this.items.length) return undefined;
    return this.pop();
  }

  /** Marks `key` as processed; if it was added again meanwhile, it goes back in the queue. */
  done(key: string): void {
    const startedAt = this.processing.get(key);
    if (startedAt === undefined) return;
    this.processing.delete(key);
    this.metrics?.workDuration.observe({ name: this.name }, (this.clock.now() - startedAt) / 1000);
    if (this.dirty.has(key)) {
      if (this.shuttingDown && !this.draining) {
        this.dirty.delete(key);
        this.addedAt.delete(key);
      } else {
        this.push(key);
      }
    }
    this.checkIdle();
  }

  /** Keys ready to be handed out (not counting keys being processed or delayed). */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Keys handed out and not yet done. */
  get processingCount(): number {
    return this.processing.size;
  }

  /** Keys waiting for a delayed add. */
  get delayedCount(): number {
    return this.waitingUntil.size;
  }

  /** When `key` is due from a delayed add, or undefined. */
  delayedUntil(key: string): number | undefined {
    return this.waitingUntil.get(key);
  }

  isProcessing(key: string): boolean {
    return this.processing.has(key);
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /**
   * Stops accepting keys, cancels delayed adds and resolves once no key is being processed (and, when
   * draining, the queue is empty). Waiting `get()` calls resolve `undefined`.
   */
  shutDown(options: ShutDownOptions = {}): Promise<void> {
    this.shuttingDown = true;
    this.draining = options.drain ?? true;
    this.timer?.cancel();
    this.timer = undefined;
    this.timerDue = Infinity;
    this.heap = [];
    this.waitingUntil.clear();
    if (!this.draining) {
      for (let i = this.head; i < this.items.length; i++) {
        const key = this.items[i] as string;
        this.dirty.delete(key);
        this.addedAt.delete(key);
      }
      this.items = [];
      this.head = 0;
      this.metrics?.depth.set({ name: this.name }, 0);
    }
    if (this.length === 0) this.releaseGetters();
    const idle = new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.checkIdle();
    return idle;
  }

  /**
   * Runs `handler` for each key with `workers` concurrent loops until the queue is shut down; resolves
   * when every loop has ended. `done` is called for you; a throwing handler gets the key retried with
   * backoff (the handler is expected to do its own forget/rateLimitedAdd otherwise).
   */
  async process(handler: (key: string) => Promise<void>, options: ProcessOptions = {}): Promise<void> {
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(
        `WorkQueue "${this.name}": workers must be a whole number of at least 1 (got ${workers})`,
      );
    }
    const loop = async () => {
      for (;;) {
        const key = await this.get();
        if (key === undefined) return;
        try {
          await handler(key);
        } catch (err) {
          options.onError?.(key, err);
          this.rateLimitedAdd(key);
        } finally {
          this.done(key);
        }
      }
    };
    await Promise.all(Array.from({ length: workers }, loop));
  }

  // QueueMetricsSource
  processingStartTimes(): Iterable<number> {
    return this.processing.values();
  }

  now(): number {
    return this.clock.now();
  }

  private push(key: string): void {
    this.items.push(key);
    this.metrics?.depth.inc({ name: this.name });
    const getter = this.getters.shift();
    if (getter) getter(this.pop());
  }

  private pop(): string {
    const key = this.items[this.head] as string;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.metrics?.depth.dec({ name: this.name });
    this.dirty.delete(key);
    const now = this.clock.now();
    const addedAt = this.addedAt.get(key);
    this.addedAt.delete(key);
    if (addedAt !== undefined)
      this.metrics?.queueDuration.observe({ name: this.name }, (now - addedAt) / 1000);
    this.processing.set(key, now);
    if (this.shuttingDown && this.length === 0) this.releaseGetters();
    return key;
  }

  private releaseGetters(): void {
    const getters = this.getters;
    this.getters = [];
    for (const getter of getters) getter(undefined);
  }

  private checkIdle(): void {
    if (!this.shuttingDown) return;
    if (this.processing.size > 0) return;
    if (this.draining && this.length > 0) return;
    this.releaseGetters();
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
    this.metrics?.detach(this);
  }

  private armTimer(due: number): void {
    this.timer?.cancel();
    this.timerDue = due;
    this.timer = this.clock.setTimeout(() => this.fireDue(), due - this.clock.now());
  }

  private fireDue(): void {
    this.timer = undefined;
    this.timerDue = Infinity;
    const now = this.clock.now();
    for (;;) {
      const top = this.heap[0];
      if (!top) break;
      if (this.waitingUntil.get(top.key) !== top.readyAt) {
        heapPop(this.heap); // stale: superseded by an earlier time or already fired
        continue;
      }
      if (top.readyAt > now) {
        this.armTimer(top.readyAt);
        break;
      }
      heapPop(this.heap);
      this.waitingUntil.delete(top.key);
      this.add(top.key);
    }
  }
}
