import { afterEach, describe, expect, it } from "vitest";
import type { KubernetesObject } from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { Writable } from "node:stream";
import { createLogger } from "../../lib/logger.js";
import { FakeClock } from "./fake-clock.js";
import {
  Controller,
  generationChanged,
  TerminalError,
  type ObjectEventSource,
  type ReconcileContext,
  type ReconcileResult,
} from "./controller.js";
import { metricValue } from "./testing/metrics.js";

/** Lets pending promise callbacks run a few rounds; no time passes. */
async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** An in-memory event source for testing the loop's logic; the real Informer has its own tests. */
class FakeSource<T extends KubernetesObject> implements ObjectEventSource<T> {
  readonly name = "fake";
  objects: T[] = [];
  private handlers = {
    add: [] as Array<(obj: T) => void>,
    update: [] as Array<(obj: T, old: T) => void>,
    delete: [] as Array<(obj: T) => void>,
  };
  private synced = true;
  private syncWaiters: Array<() => void> = [];

  notSynced(): this {
    this.synced = false;
    return this;
  }
  markSynced(): void {
    this.synced = true;
    for (const w of this.syncWaiters) w();
  }
  on(event: "add" | "update" | "delete", handler: (obj: T, old: T) => void): void {
    (this.handlers[event] as Array<typeof handler>).push(handler);
  }
  waitForSync(timeoutMs = 0): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (timeoutMs < 10) return Promise.reject(new Error(`did not sync within ${timeoutMs} ms`));
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }
  list(): T[] {
    return this.objects;
  }
  add(obj: T): void {
    for (const h of this.handlers.add) h(obj);
  }
  update(obj: T, old: T): void {
    for (const h of this.handlers.update) h(obj, old);
  }
  remove(obj: T): void {
    for (const h of this.handlers.delete) h(obj);
  }
}

const obj = (
  namespace: string,
  name: string,
  extra: Partial<KubernetesObject["metadata"]> = {},
): KubernetesObject => ({
  metadata: { namespace, name, ...extra },
});

function captureLogs() {
  const lines: Array<Record<string, unknown>> = [];
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split("\n").filter(Boolean)) lines.push(JSON.parse(line));
      cb();
    },
  });
  return { lines, logger: createLogger({ component: "test", level: "debug", destination }) };
}

type Step = (key: string, ctx: ReconcileContext) => Promise<ReconcileResult | void>;

const controllers: Controller[] = [];
afterEach(async () => {
  await Promise.all(controllers.splice(0).map((c) => c.stop()));
});

function setup(reconcile: Step, options: { workers?: number } = {}) {
  const clock = new FakeClock();
  const registry = new Registry();
  const { lines, logger } = captureLogs();
  const calls: string[] = [];
  const controller = new Controller({
    name: "widget",
    clock,
    registry,
    logger,
    workers: options.workers,
    reconcile: async (key, ctx) => {
      calls.push(key);
      return reconcile(key, ctx);
    },
  });
  controllers.push(controller);
  return { clock, registry, lines, calls, controller };
}

describe("Controller", () => {
  it("turns add, update and delete events into namespace/name keys, de-duplicated", async () => {
    const source = new FakeSource();
    const { calls, controller } = setup(async () => undefined);
    controller.watch(source);
    source.add(obj("ns1", "a"));
    source.add(obj("ns1", "a"));
    source.update(obj("ns2", "b", { resourceVersion: "2" }), obj("ns2", "b", { resourceVersion: "1" }));
    source.remove(obj("ns3", "c"));
    source.update(obj("ns1", "a", { resourceVersion: "2" }), obj("ns1", "a", { resourceVersion: "1" }));
    await controller.start();
    await settle();
    expect(calls).toEqual(["ns1/a", "ns2/b", "ns3/c"]);
  });

  it("enqueues every cached object when it starts, after the sources have synced", async () => {
    const source = new FakeSource().notSynced();
    source.objects = [obj("ns", "x"), obj("ns", "y")];
    const { calls, controller } = setup(async () => undefined);
    controller.watch(source);
    const started = controller.start();
    await settle();
    expect(calls).toEqual([]);
    source.markSynced();
    await started;
    await settle();
    expect(calls).toEqual(["ns/x", "ns/y"]);
  });

  it("fails to start when a source does not sync in time", async () => {
    const { controller } = setup(async () => undefined);
    const c2 = new Controller({
      name: "slow",
      reconcile: async () => undefined,
      logger: createLogger({ component: "t", level: "silent" }),
      cacheSyncTimeoutMs: 1,
    });
    controllers.push(c2);
    c2.watch(new FakeSource().notSynced());
    await expect(c2.start()).rejects.toThrow(/did not sync/);
    expect(controller).toBeDefined();
  });

  it("retries a failing key with per-key backoff (5 ms, 10 ms, 20 ms) and forgets it after a success", async () => {
    let failures = 3;
    const { clock, calls, controller, registry } = setup(async () => {
      if (failures-- > 0) throw new Error("transient");
    });
    await controller.start();
    controller.enqueue("ns/a");
    await settle();
    const timeline: Array<[number, number]> = [];
    const start = clock.now();
    for (const step of [4, 1, 9, 1, 19, 1]) {
      clock.advance(step);
      await settle();
      timeline.push([clock.now() - start, calls.length]);
    }
    // 1 call at t=0, then retries exactly at 5, 15 (5+10) and 35 (15+20) ms.
    expect(timeline).toEqual([
      [4, 1],
      [5, 2],
      [14, 2],
      [15, 3],
      [34, 3],
      [35, 4],
    ]);
    expect(controller.queue.numRequeues("ns/a")).toBe(0);
    expect(await metricValue(registry, "controller_runtime_reconcile_errors_total")).toBe(3);
    expect(await metricValue(registry, "controller_runtime_reconcile_total", { result: "error" })).toBe(3);
    expect(await metricValue(registry, "controller_runtime_reconcile_total", { result: "success" })).toBe(1);
    expect(await metricValue(registry, "workqueue_retries_total")).toBe(3);
  });

  it("requeues after requeueAfterMs on success, with the backoff forgotten", async () => {
    const { clock, calls, controller, registry } = setup(async () => ({ requeueAfterMs: 60_000 }));
    await controller.start();
    controller.enqueue("ns/a");
    await settle();
    clock.advance(59_999);
    await settle();
    expect(calls).toHaveLength(1);
    clock.advance(1);
    await settle();
    expect(calls).toHaveLength(2);
    expect(controller.queue.numRequeues("ns/a")).toBe(0);
    expect(
      await metricValue(registry, "controller_runtime_reconcile_total", { result: "requeue_after" }),
    ).toBe(2);
  });

  it("ignores requeueAfterMs carried by a thrown error, with a warning, and retries with backoff", async () => {
    let first = true;
    const { clock, calls, controller, lines } = setup(async () => {
      if (first) {
        first = false;
        throw Object.assign(new Error("provider down"), { requeueAfterMs: 600_000 });
      }
    });
    await controller.start();
    controller.enqueue("ns/a");
    await settle();
    clock.advance(5);
    await settle();
    expect(calls).toEqual(["ns/a", "ns/a"]);
    expect(lines.some((l) => l.level === "warn" && String(l.msg).includes("requeueAfterMs is ignored"))).toBe(
      true,
    );
  });

  it("does not retry a TerminalError, and counts it", async () => {
    const { clock, calls, controller, registry } = setup(async () => {
      throw new TerminalError("SPEC_INVALID", "the spec cannot work");
    });
    await controller.start();
    controller.enqueue("ns/a");
    await settle();
    clock.advance(60_000);
    await settle();
    expect(calls).toEqual(["ns/a"]);
    expect(await metricValue(registry, "controller_runtime_terminal_reconcile_errors_total")).toBe(1);
  });

  it("survives programming errors in reconcile, counts them as panics and keeps serving other keys", async () => {
    const { clock, calls, controller, registry } = setup(async (key) => {
      if (key === "ns/bad") (undefined as unknown as { x: number }).x.toFixed();
    });
    await controller.start();
    controller.enqueue("ns/bad");
    controller.enqueue("ns/good");
    await settle();
    clock.advance(5);
    await settle();
    expect(calls).toEqual(["ns/bad", "ns/good", "ns/bad"]);
    expect(await metricValue(registry, "controller_runtime_reconcile_panics_total")).toBe(2);
    expect(await metricValue(registry, "controller_runtime_reconcile_total", { result: "success" })).toBe(1);
  });

  it("maps owned objects to their controlling owner's key", async () => {
    const owned = new FakeSource();
    const { calls, controller } = setup(async () => undefined);
    controller.watchOwned(owned, { group: "buscaativa.io", kind: "FollowUpSchedule" });
    await controller.start();
    const ref = (kind: string, apiVersion: string, name: string, controllerRef: boolean) => ({
      apiVersion,
      kind,
      name,
      uid: `uid-${name}`,
      controller: controllerRef,
    });
    owned.add(
      obj("ns", "cron-1", {
        ownerReferences: [ref("FollowUpSchedule", "buscaativa.io/v1alpha1", "owner-1", true)],
      }),
    );
    owned.add(
      obj("ns", "cron-2", {
        ownerReferences: [ref("FollowUpSchedule", "buscaativa.io/v1alpha1", "not-controller", false)],
      }),
    );
    owned.add(
      obj("ns", "cron-3", {
        ownerReferences: [ref("Campaign", "buscaativa.io/v1alpha1", "other-kind", true)],
      }),
    );
    owned.add(
      obj("ns", "cron-4", { ownerReferences: [ref("FollowUpSchedule", "other.io/v1", "other-group", true)] }),
    );
    owned.add(obj("ns", "cron-5"));
    owned.update(
      obj("ns", "cron-6", {
        ownerReferences: [ref("FollowUpSchedule", "buscaativa.io/v1beta1", "new-owner", true)],
      }),
      obj("ns", "cron-6", {
        ownerReferences: [ref("FollowUpSchedule", "buscaativa.io/v1alpha1", "old-owner", true)],
      }),
    );
    await settle();
    expect(calls).toEqual(["ns/owner-1", "ns/new-owner", "ns/old-owner"]);
  });

  it("skips status-only updates with generationChanged, but not resyncs", async () => {
    const source = new FakeSource();
    const { calls, controller } = setup(async () => undefined);
    controller.watch(source, { predicate: generationChanged });
    await controller.start();
    const v1 = obj("ns", "a", { generation: 1, resourceVersion: "1" });
    source.update(obj("ns", "a", { generation: 1, resourceVersion: "2" }), v1);
    await settle();
    expect(calls).toEqual([]);
    source.update(obj("ns", "a", { generation: 2, resourceVersion: "3" }), v1);
    await settle();
    expect(calls).toEqual(["ns/a"]);
    source.update(v1, v1);
    await settle();
    expect(calls).toEqual(["ns/a", "ns/a"]);
  });

  it("runs up to `workers` reconciles at once and reports active workers", async () => {
    const gates: Array<() => void> = [];
    let active = 0;
    let maxActive = 0;
    const { controller, registry } = setup(
      async () => {
        active += 1;
        maxActive = Math.max(maxActive, active);
        await new Promise<void>((resolve) => gates.push(resolve));
        active -= 1;
      },
      { workers: 2 },
    );
    await controller.start();
    for (const k of ["ns/a", "ns/b", "ns/c"]) controller.enqueue(k);
    await settle();
    expect(maxActive).toBe(2);
    expect(await metricValue(registry, "controller_runtime_active_workers")).toBe(2);
    expect(await metricValue(registry, "controller_runtime_max_concurrent_reconciles")).toBe(2);
    for (const release of gates.splice(0)) release();
    await settle();
    for (const release of gates.splice(0)) release();
    await settle();
    expect(await metricValue(registry, "controller_runtime_active_workers")).toBe(0);
  });

  it("stop() aborts the reconcile signal and waits for the reconciles in progress", async () => {
    let release!: () => void;
    let seenSignal: AbortSignal | undefined;
    const { controller } = setup(async (_key, ctx) => {
      seenSignal = ctx.signal;
      await new Promise<void>((resolve) => (release = resolve));
    });
    await controller.start();
    controller.enqueue("ns/a");
    await settle();
    let stopped = false;
    const stopping = controller.stop().then(() => (stopped = true));
    await settle();
    expect(seenSignal?.aborted).toBe(true);
    expect(stopped).toBe(false);
    release();
    await stopping;
    controller.enqueue("ns/b");
    expect(controller.queue.length).toBe(0);
  });

  it("refuses a worker count below 1, naming the option", () => {
    expect(
      () =>
        new Controller({
          name: "x",
          workers: 0,
          reconcile: async () => undefined,
          logger: createLogger({ component: "t", level: "silent" }),
        }),
    ).toThrow(/option workers/);
  });
});
