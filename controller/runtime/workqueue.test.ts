import { describe, expect, it } from "vitest";
import { Registry } from "prom-client";
import { FakeClock } from "./fake-clock.js";
import { WorkQueue } from "./workqueue.js";
import { exponentialDelay } from "./backoff.js";

/** Lets pending promise callbacks run; no time passes. */
const flush = () => new Promise<void>((resolve) => setImmediate(resolve));

function deferred() {
  let resolve!: () => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function newQueue(clock = new FakeClock(), registry?: Registry) {
  return new WorkQueue({ name: "test", clock, registry });
}

function drainReady(queue: WorkQueue): string[] {
  const out: string[] = [];
  for (let key = queue.tryGet(); key !== undefined; key = queue.tryGet()) out.push(key);
  return out;
}

async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string> = { name: "test" },
) {
  const metric = registry.getSingleMetric(name);
  if (!metric) throw new Error(`metric ${name} not registered`);
  const values = (await metric.get()).values;
  return values.find((v) => Object.entries(labels).every(([k, val]) => v.labels[k] === val))?.value;
}

describe("WorkQueue de-duplication and ordering", () => {
  it.each([
    { adds: ["a", "b", "c"], handedOut: ["a", "b", "c"] },
    { adds: ["a", "a", "a"], handedOut: ["a"] },
    { adds: ["a", "b", "a", "c", "b"], handedOut: ["a", "b", "c"] },
    { adds: [], handedOut: [] },
  ])("hands out $adds as $handedOut (FIFO, each waiting key once)", ({ adds, handedOut }) => {
    const queue = newQueue();
    for (const key of adds) queue.add(key);
    expect(drainReady(queue)).toEqual(handedOut);
  });

  it("never hands a key being processed to another worker; a re-add runs once more after done", () => {
    const queue = newQueue();
    queue.add("a");
    expect(queue.tryGet()).toBe("a");
    queue.add("a");
    queue.add("a");
    expect(queue.tryGet()).toBeUndefined();
    expect(queue.length).toBe(0);
    queue.done("a");
    expect(queue.tryGet()).toBe("a");
    queue.done("a");
    expect(queue.tryGet()).toBeUndefined();
  });

  it("does not requeue a key that was not re-added while processing", () => {
    const queue = newQueue();
    queue.add("a");
    expect(queue.tryGet()).toBe("a");
    queue.done("a");
    expect(queue.tryGet()).toBeUndefined();
  });

  it("get() waits for the next add", async () => {
    const queue = newQueue();
    const got = queue.get();
    queue.add("x");
    await expect(got).resolves.toBe("x");
    expect(queue.isProcessing("x")).toBe(true);
  });
});

describe("WorkQueue per-key exponential backoff", () => {
  it.each([
    { attempt: 0, delay: 5 },
    { attempt: 1, delay: 10 },
    { attempt: 2, delay: 20 },
    { attempt: 10, delay: 5120 },
    { attempt: 17, delay: 655_360 },
    { attempt: 18, delay: 1_000_000 },
    { attempt: 100, delay: 1_000_000 },
    { attempt: 5000, delay: 1_000_000 },
  ])("retry number $attempt waits $delay ms", ({ attempt, delay }) => {
    expect(exponentialDelay(attempt, 5, 1_000_000)).toBe(delay);
  });

  it("rateLimitedAdd delays 5 ms, 10 ms, 20 ms ... per key, and forget() starts over", () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    const observed: number[] = [];
    for (let i = 0; i < 5; i++) {
      queue.rateLimitedAdd("a");
      const due = queue.delayedUntil("a");
      expect(due).toBeDefined();
      observed.push((due as number) - clock.now());
      clock.advance((due as number) - clock.now() - 1);
      expect(queue.tryGet()).toBeUndefined();
      clock.advance(1);
      expect(queue.tryGet()).toBe("a");
      queue.done("a");
    }
    expect(observed).toEqual([5, 10, 20, 40, 80]);
    expect(queue.numRequeues("a")).toBe(5);
    expect(queue.numRequeues("b")).toBe(0);
    queue.forget("a");
    expect(queue.numRequeues("a")).toBe(0);
    queue.rateLimitedAdd("a");
    expect((queue.delayedUntil("a") as number) - clock.now()).toBe(5);
  });

  it("keeps separate failure counts per key", () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    queue.rateLimitedAdd("a");
    queue.rateLimitedAdd("a");
    queue.rateLimitedAdd("a");
    queue.rateLimitedAdd("b");
    expect(queue.numRequeues("a")).toBe(3);
    expect(queue.numRequeues("b")).toBe(1);
    expect(queue.nextBackoffMs("a")).toBe(40);
    expect(queue.nextBackoffMs("b")).toBe(10);
  });
});

describe("WorkQueue delayed adds", () => {
  it.each([
    { name: "a later addAfter does not postpone an earlier one", delays: [100, 500], firesAt: 100 },
    { name: "an earlier addAfter brings a later one forward", delays: [500, 100], firesAt: 100 },
    { name: "the same time twice fires once", delays: [200, 200], firesAt: 200 },
    { name: "the earliest of many wins", delays: [900, 300, 700, 250, 1000], firesAt: 250 },
  ])("$name", ({ delays, firesAt }) => {
    const clock = new FakeClock();
    const start = clock.now();
    const queue = newQueue(clock);
    for (const d of delays) queue.addAfter("k", d);
    clock.advance(firesAt - 1);
    expect(queue.tryGet()).toBeUndefined();
    clock.advance(1);
    expect(clock.now() - start).toBe(firesAt);
    expect(queue.tryGet()).toBe("k");
    queue.done("k");
    clock.advance(2000);
    expect(queue.tryGet()).toBeUndefined();
    expect(queue.delayedCount).toBe(0);
  });

  it("adds at once for a delay of zero or less", () => {
    const queue = newQueue();
    queue.addAfter("a", 0);
    queue.addAfter("b", -5);
    expect(drainReady(queue)).toEqual(["a", "b"]);
  });

  it("fires different keys in time order", () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    queue.addAfter("late", 300);
    queue.addAfter("early", 100);
    queue.addAfter("middle", 200);
    clock.advance(1000);
    expect(drainReady(queue)).toEqual(["early", "middle", "late"]);
  });

  it("a delayed add of a key already waiting in the queue does not queue it twice", () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    queue.add("a");
    queue.addAfter("a", 10);
    clock.advance(10);
    expect(drainReady(queue)).toEqual(["a"]);
  });

  it("a delayed add firing while the key is processed runs it once more after done", () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    queue.add("a");
    expect(queue.tryGet()).toBe("a");
    queue.addAfter("a", 10);
    clock.advance(10);
    expect(queue.tryGet()).toBeUndefined();
    queue.done("a");
    expect(queue.tryGet()).toBe("a");
  });
});

describe("WorkQueue shutdown", () => {
  it("drains by default: queued keys are still handed out, new adds are ignored", async () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    queue.add("a");
    queue.add("b");
    queue.addAfter("later", 50);
    expect(queue.tryGet()).toBe("a");
    let stopped = false;
    const shutDown = queue.shutDown().then(() => (stopped = true));
    queue.add("c");
    clock.advance(100);
    expect(queue.tryGet()).toBe("b");
    queue.done("a");
    await flush();
    expect(stopped).toBe(false);
    expect(queue.tryGet()).toBeUndefined();
    queue.done("b");
    await shutDown;
    expect(stopped).toBe(true);
    await expect(queue.get()).resolves.toBeUndefined();
  });

  it("without drain drops queued keys and waits only for the keys in progress", async () => {
    const queue = newQueue();
    queue.add("a");
    queue.add("b");
    expect(queue.tryGet()).toBe("a");
    queue.add("a"); // re-added while processing: dropped by a non-draining shutdown
    let stopped = false;
    const shutDown = queue.shutDown({ drain: false }).then(() => (stopped = true));
    expect(queue.tryGet()).toBeUndefined();
    await flush();
    expect(stopped).toBe(false);
    queue.done("a");
    await shutDown;
    expect(queue.tryGet()).toBeUndefined();
  });

  it("wakes waiting get() calls with undefined", async () => {
    const queue = newQueue();
    const waiting = [queue.get(), queue.get()];
    await queue.shutDown();
    await expect(Promise.all(waiting)).resolves.toEqual([undefined, undefined]);
  });

  it("rejects nothing and does nothing on rateLimitedAdd after shutdown", async () => {
    const queue = newQueue();
    await queue.shutDown();
    queue.rateLimitedAdd("a");
    queue.addAfter("a", 5);
    expect(queue.delayedCount).toBe(0);
    expect(queue.length).toBe(0);
  });
});

describe("WorkQueue.process with several workers", () => {
  it("runs up to `workers` keys at once and never the same key twice at once", async () => {
    const queue = newQueue();
    const running = new Map<string, number>();
    let maxParallel = 0;
    let parallel = 0;
    const gates = new Map<string, ReturnType<typeof deferred>[]>();
    const runs: string[] = [];
    const overlaps: string[] = [];
    const processing = queue.process(
      async (key) => {
        running.set(key, (running.get(key) ?? 0) + 1);
        if (running.get(key) !== 1) overlaps.push(key);
        parallel += 1;
        maxParallel = Math.max(maxParallel, parallel);
        runs.push(key);
        const gate = deferred();
        gates.set(key, [...(gates.get(key) ?? []), gate]);
        await gate.promise;
        parallel -= 1;
        running.set(key, (running.get(key) ?? 1) - 1);
      },
      { workers: 3 },
    );
    for (const key of ["a", "b", "c", "d"]) queue.add(key);
    await flush();
    expect(runs).toEqual(["a", "b", "c"]);
    queue.add("a"); // re-added while a is running
    await flush();
    expect(runs).toEqual(["a", "b", "c"]);
    gates.get("b")?.[0]?.resolve();
    await flush();
    expect(runs).toEqual(["a", "b", "c", "d"]);
    gates.get("a")?.[0]?.resolve();
    await flush();
    expect(runs).toEqual(["a", "b", "c", "d", "a"]);
    expect(maxParallel).toBe(3);
    expect(overlaps).toEqual([]);
    const stopping = queue.shutDown();
    for (const list of gates.values()) for (const gate of list) gate.resolve();
    await stopping;
    await processing;
  });

  it("retries a key whose handler throws, with backoff, and reports the error", async () => {
    const clock = new FakeClock();
    const queue = newQueue(clock);
    const errors: string[] = [];
    let calls = 0;
    const processing = queue.process(
      async () => {
        calls += 1;
        if (calls === 1) throw new Error("boom");
      },
      { onError: (key, err) => errors.push(`${key}: ${(err as Error).message}`) },
    );
    queue.add("a");
    await flush();
    expect(errors).toEqual(["a: boom"]);
    expect(queue.numRequeues("a")).toBe(1);
    clock.advance(5);
    await flush();
    expect(calls).toBe(2);
    await queue.shutDown();
    await processing;
  });

  it("refuses a worker count below 1", async () => {
    await expect(newQueue().process(async () => undefined, { workers: 0 })).rejects.toThrow(
      /workers must be/,
    );
  });
});

describe("WorkQueue metrics", () => {
  it("reports depth, adds, retries, durations and the longest running processor", async () => {
    const clock = new FakeClock();
    const registry = new Registry();
    const queue = newQueue(clock, registry);
    queue.add("a");
    queue.add("a");
    queue.add("b");
    expect(await metricValue(registry, "workqueue_depth")).toBe(2);
    expect(await metricValue(registry, "workqueue_adds_total")).toBe(2);
    clock.advance(3000);
    expect(queue.tryGet()).toBe("a");
    expect(await metricValue(registry, "workqueue_depth")).toBe(1);
    clock.advance(2000);
    expect(await metricValue(registry, "workqueue_longest_running_processor_seconds")).toBe(2);
    expect(await metricValue(registry, "workqueue_unfinished_work_seconds")).toBe(2);
    queue.done("a");
    queue.rateLimitedAdd("a");
    expect(await metricValue(registry, "workqueue_retries_total")).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('workqueue_queue_duration_seconds_count{name="test"} 1');
    expect(text).toContain('workqueue_queue_duration_seconds_sum{name="test"} 3');
    expect(text).toContain('workqueue_work_duration_seconds_sum{name="test"} 2');
    expect(await metricValue(registry, "workqueue_longest_running_processor_seconds")).toBe(0);
  });

  it("lets two queues share one registry", async () => {
    const registry = new Registry();
    const one = new WorkQueue({ name: "one", registry, clock: new FakeClock() });
    const two = new WorkQueue({ name: "two", registry, clock: new FakeClock() });
    one.add("x");
    two.add("x");
    two.add("y");
    expect(await metricValue(registry, "workqueue_depth", { name: "one" })).toBe(1);
    expect(await metricValue(registry, "workqueue_depth", { name: "two" })).toBe(2);
  });
});
