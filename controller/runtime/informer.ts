/**
 * An informer that never dies silently: it lists a collection, then watches it from the list's
 * resourceVersion, keeping a cache and calling add/update/delete handlers.
 *
 * - Any error (list or watch, network or HTTP) is logged and retried with backoff, 1 s doubling to 30 s,
 *   reset by the next sign of life. It never stops by itself.
 * - A 410 Gone ("too old resource version", as an HTTP status or a watch ERROR event) leads to a relist;
 *   objects that disappeared meanwhile get a delete event.
 * - A watchdog restarts a watch that shows no sign of life (no event, no bookmark, no successful
 *   (re)connect) for `stallTimeoutMs` (default 5 min).
 * - Every `resyncPeriodMs` (default 10 h, like controller-runtime's SyncPeriod) it relists and calls the
 *   update handlers for every object, changed or not, so every object is reconciled again.
 * - Every object passes through `transform` before it is cached; the default drops `metadata.managedFields`
 *   (server-side apply bookkeeping no reconciler reads, often larger than the spec), as client-go's
 *   TransformStripManagedFields does.
 *
 * It uses client-node's `Watch` (transport, credentials, its 30 s inactivity timeout) but not its
 * `ListWatch`, which stops for good on any error other than 410 and a timeout, and whose stop/start
 * can leave a second watch running; see docs/controller-runtime.md.
 */
import type { KubeConfig, KubernetesObject } from "@kubernetes/client-node";
import type { Registry } from "prom-client";
import { AppError, errorMessage } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import { ReconnectBackoff, type ReconnectBackoffOptions } from "./backoff.js";
import { sleep, systemClock, type Clock, type ClockTimer } from "./clock.js";
import {
  InformerMetrics,
  type InformerMetricsSource,
  type RelistReason,
  type RestartReason,
} from "./informer-metrics.js";
import { ObjectStore } from "./object-store.js";
import { listAll, watchStream, type WatchOutcome } from "./list-watch.js";
import { apiStatusCode } from "./api-errors.js";

export interface InformerOptions<T extends KubernetesObject = KubernetesObject> {
  /** Short name for logs and metrics, e.g. "campaigns". */
  name: string;
  kubeConfig: KubeConfig;
  /**
   * The collection's API path, e.g. "/apis/buscaativa.io/v1alpha1/campaigns" (all namespaces) or
   * "/apis/batch/v1/namespaces/ns/cronjobs" (one namespace).
   */
  path: string;
  labelSelector?: string;
  fieldSelector?: string;
  logger: Logger;
  /** Where the informer_* metrics go; default none. */
  registry?: Registry;
  clock?: Clock;
  /** Restart a watch with no sign of life for this long; default 300,000 ms (5 min). */
  stallTimeoutMs?: number;
  /** Relist and re-deliver every object this often; default 36,000,000 ms (10 h); 0 turns it off. */
  resyncPeriodMs?: number;
  /** Retry delays after errors; default 1 s doubling to 30 s. */
  backoff?: ReconnectBackoffOptions;
  /** Objects per list page; default 500. */
  pageSize?: number;
  /**
   * Applied to every listed or watched object before it is cached and handed to handlers; may change the
   * object it is given (a fresh parse of the API server's answer). Default `stripManagedFields`; pass
   * `(obj) => obj` to keep objects whole.
   */
  transform?: (obj: T) => T;
}

/** The default transform: drops `metadata.managedFields`, which the cache need not hold. */
export function stripManagedFields<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

export type AddHandler<T> = (obj: T) => void;
export type UpdateHandler<T> = (obj: T, old: T) => void;
export type DeleteHandler<T> = (obj: T) => void;

interface Handlers<T> {
  add: AddHandler<T>[];
  update: UpdateHandler<T>[];
  delete: DeleteHandler<T>[];
}

/** Where the loop is; the watchdog only judges "listing" and "watching". */
type Phase = "idle" | "listing" | "watching" | "backoff";

export class Informer<T extends KubernetesObject = KubernetesObject> implements InformerMetricsSource {
  readonly name: string;
  private readonly options: InformerOptions<T>;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly metrics: InformerMetrics | undefined;
  private readonly store = new ObjectStore<T>();
  private readonly handlers: Handlers<T> = { add: [], update: [], delete: [] };
  private readonly backoff: ReconnectBackoff;
  private readonly stallTimeoutMs: number;
  private readonly resyncPeriodMs: number;
  private readonly transform: (obj: T) => T;

  private running = false;
  private session = 0;
  private sessionAbort: AbortController | undefined;
  private sessionDone: Promise<void> = Promise.resolve();
  private resourceVersion = "";
  private listReason: RelistReason | undefined = "initial";
  private resyncPending = false;
  private synced = false;
  private syncWaiters: Array<() => void> = [];
  private phase: Phase = "idle";
  private lastProgressAt = 0;
  private watchdogTimer: ClockTimer | undefined;
  private resyncTimer: ClockTimer | undefined;

  constructor(options: InformerOptions<T>) {
    this.name = options.name;
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger.child({ informer: options.name });
    this.metrics = options.registry ? InformerMetrics.for(options.registry) : undefined;
    this.backoff = new ReconnectBackoff(options.backoff);
    this.stallTimeoutMs = options.stallTimeoutMs ?? 300_000;
    this.resyncPeriodMs = options.resyncPeriodMs ?? 36_000_000;
    this.transform = options.transform ?? stripManagedFields;
    if (this.stallTimeoutMs <= 0) throw new RangeError("Informer option stallTimeoutMs must be above 0");
    if (this.resyncPeriodMs < 0)
      throw new RangeError("Informer option resyncPeriodMs must be 0 (off) or more");
  }

  on(event: "add", handler: AddHandler<T>): void;
  on(event: "update", handler: UpdateHandler<T>): void;
  on(event: "delete", handler: DeleteHandler<T>): void;
  on(event: keyof Handlers<T>, handler: AddHandler<T> | UpdateHandler<T>): void {
    (this.handlers[event] as Array<typeof handler>).push(handler);
  }

  /** Starts listing and watching; returns at once (see `waitForSync`). Calling it twice does nothing. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.metrics?.attach(this);
    this.markProgress();
    this.scheduleWatchdog();
    this.scheduleResync();
    this.startSession();
  }

  /** Stops the watch and every timer; the cache keeps its content. */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    this.watchdogTimer?.cancel();
    this.resyncTimer?.cancel();
    this.sessionAbort?.abort();
    this.session += 1;
    this.metrics?.detach(this);
    await this.sessionDone;
    this.phase = "idle";
  }

  /**
   * Drops the current watch and starts again at once. `relist` forces a full list first; a
   * `resourceVersion` resumes the watch from there (tests use an ancient one to provoke a 410).
   */
  restart(reason: RestartReason, options: { relist?: boolean; resourceVersion?: string } = {}): void {
    if (!this.running) return;
    this.metrics?.restarts.inc({ informer: this.name, reason });
    if (options.relist) this.listReason = reason === "resync" ? "resync" : "manual";
    if (options.resourceVersion !== undefined) this.resourceVersion = options.resourceVersion;
    this.markProgress();
    this.startSession();
  }

  /** True once the first list has filled the cache. */
  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves when the cache has synced; rejects after `timeoutMs` (default 120 s, like controller-runtime). */
  waitForSync(timeoutMs = 120_000): Promise<void> {
    if (this.synced) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.syncWaiters = this.syncWaiters.filter((w) => w !== done);
        reject(
          new AppError(
            "INFORMER_SYNC_TIMEOUT",
            `Informer "${this.name}" did not sync within ${timeoutMs} ms: check that the API server is reachable and that the controller may list and watch ${this.options.path}`,
          ),
        );
      }, timeoutMs);
      const done = () => {
        timer.cancel();
        resolve();
      };
      this.syncWaiters.push(done);
    });
  }

  /** The cached object with key `namespace/name` (`name` for cluster-scoped objects). Read-only. */
  get(key: string): T | undefined {
    return this.store.get(key);
  }

  /** Every cached object, or those of one namespace. Read-only. */
  list(namespace?: string): T[] {
    return this.store.list(namespace);
  }

  /** The keys of every cached object. */
  keys(): string[] {
    return this.store.keys();
  }

  /** The resourceVersion the next watch would resume from. */
  latestResourceVersion(): string {
    return this.resourceVersion;
  }

  /** Objects in the cache (for the informer_objects metric). */
  get objectCount(): number {
    return this.store.size;
  }

  private startSession(): void {
    this.sessionAbort?.abort();
    const previous = this.sessionDone;
    const session = ++this.session;
    const abort = new AbortController();
    this.sessionAbort = abort;
    this.sessionDone = previous.then(() => this.runSession(session, abort.signal));
  }

  private isCurrent(session: number): boolean {
    return this.running && session === this.session;
  }

  private async runSession(session: number, signal: AbortSignal): Promise<void> {
    while (this.isCurrent(session)) {
      try {
        if (this.listReason !== undefined) await this.relist(session, signal, this.listReason);
        if (!this.isCurrent(session)) return;
        const outcome = await this.watchOnce(session, signal);
        if (!this.isCurrent(session)) return;
        if (outcome.kind === "expired") {
          this.logger.info("Watch resourceVersion expired (410 Gone); relisting");
          this.metrics?.restarts.inc({ informer: this.name, reason: "expired" });
          this.listReason = "expired";
          continue;
        }
        if (outcome.kind === "aborted") return;
        if (outcome.kind === "timeout" || outcome.events > 0) {
          // A quiet watch timing out, or a watch the server ended after delivering: reconnect now.
          continue;
        }
        // The server closed a watch that delivered nothing: do not hammer it.
        await this.pause(session, signal, this.backoff.next());
      } catch (err) {
        if (!this.isCurrent(session)) return;
        if (apiStatusCode(err) === 410) {
          this.listReason = "expired";
          this.metrics?.restarts.inc({ informer: this.name, reason: "expired" });
          continue;
        }
        const delay = this.backoff.next();
        this.metrics?.restarts.inc({ informer: this.name, reason: "error" });
        this.logger.warn(
          {
            err: errorMessage(err),
            status: apiStatusCode(err),
            retryInMs: delay,
            attempt: this.backoff.attempts,
          },
          "Informer list or watch failed; retrying",
        );
        await this.pause(session, signal, delay);
      }
    }
  }

  private async pause(session: number, signal: AbortSignal, ms: number): Promise<void> {
    this.phase = "backoff";
    await sleep(this.clock, ms, signal);
    if (this.isCurrent(session)) this.phase = "idle";
  }

  private async relist(session: number, signal: AbortSignal, reason: RelistReason): Promise<void> {
    this.phase = "listing";
    const { kubeConfig, path, labelSelector, fieldSelector } = this.options;
    const { items, resourceVersion } = await listAll<T>(kubeConfig, path, {
      pageSize: this.options.pageSize ?? 500,
      labelSelector,
      fieldSelector,
      signal,
    });
    if (!this.isCurrent(session)) return;
    const resync = this.resyncPending || reason === "resync";
    const diff = this.store.replace(items.map(this.transform));
    this.resourceVersion = resourceVersion;
    this.listReason = undefined;
    this.resyncPending = false;
    this.backoff.reset();
    this.markProgress();
    this.metrics?.relists.inc({ informer: this.name, reason });
    this.logger.debug(
      { reason, objects: items.length, added: diff.added.length, deleted: diff.deleted.length },
      "Informer listed its collection",
    );
    for (const obj of diff.added) this.dispatch("add", obj);
    for (const { obj, old } of diff.updated) this.dispatch("update", obj, old);
    for (const obj of diff.deleted) this.dispatch("delete", obj);
    if (resync) for (const obj of diff.unchanged) this.dispatch("update", obj, obj);
    if (!this.synced) {
      this.synced = true;
      this.metrics?.synced.set({ informer: this.name }, 1);
      this.logger.info({ objects: items.length }, "Informer synced");
      const waiters = this.syncWaiters;
      this.syncWaiters = [];
      for (const w of waiters) w();
    }
  }

  private watchOnce(session: number, signal: AbortSignal): Promise<WatchOutcome> {
    this.phase = "watching";
    const { kubeConfig, path, labelSelector, fieldSelector } = this.options;
    return watchStream<T>(
      kubeConfig,
      path,
      { resourceVersion: this.resourceVersion, labelSelector, fieldSelector, signal },
      {
        onConnected: () => this.markProgress(),
        onEvent: (type, received) => {
          if (!this.isCurrent(session)) return;
          this.noteVersion(received);
          const obj = type === "BOOKMARK" ? received : this.transform(received);
          if (type === "ADDED" || type === "MODIFIED") {
            const result = this.store.upsert(obj);
            if (result.kind === "added") this.dispatch("add", obj);
            else if (result.kind === "updated") this.dispatch("update", obj, result.old);
          } else if (type === "DELETED") {
            if (this.store.delete(obj)) this.dispatch("delete", obj);
          }
        },
      },
    );
  }

  private noteVersion(obj: KubernetesObject): void {
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.resourceVersion = rv;
    this.backoff.reset();
    this.markProgress();
  }

  private dispatch(event: "add" | "delete", obj: T): void;
  private dispatch(event: "update", obj: T, old: T): void;
  private dispatch(event: keyof Handlers<T>, obj: T, old?: T): void {
    for (const handler of this.handlers[event]) {
      try {
        if (event === "update") (handler as UpdateHandler<T>)(obj, old as T);
        else (handler as AddHandler<T>)(obj);
      } catch (err) {
        this.logger.error(
          {
            err: errorMessage(err),
            event,
            object: `${obj.metadata?.namespace ?? ""}/${obj.metadata?.name ?? ""}`,
          },
          "Informer event handler threw; the informer goes on",
        );
      }
    }
  }

  private markProgress(): void {
    this.lastProgressAt = this.clock.now();
    this.metrics?.lastProgress.set({ informer: this.name }, this.lastProgressAt / 1000);
  }

  private scheduleWatchdog(): void {
    const interval = Math.max(50, Math.min(this.stallTimeoutMs / 4, 30_000));
    this.watchdogTimer = this.clock.setTimeout(() => {
      if (!this.running) return;
      const silentFor = this.clock.now() - this.lastProgressAt;
      if (this.phase !== "backoff" && silentFor >= this.stallTimeoutMs) {
        this.logger.warn(
          { silentForMs: silentFor, phase: this.phase },
          "Watch showed no sign of life; restarting it",
        );
        this.restart("stalled");
      }
      this.scheduleWatchdog();
    }, interval);
  }

  private scheduleResync(): void {
    if (this.resyncPeriodMs === 0) return;
    this.resyncTimer = this.clock.setTimeout(() => {
      if (!this.running) return;
      this.resyncPending = true;
      this.restart("resync", { relist: true });
      this.scheduleResync();
    }, this.resyncPeriodMs);
  }
}
