/**
 * The worker's liveness check on real BullMQ workers and Redis connections, with a fake clock: a worker
 * whose connections are up is alive; a stalled event loop is reported, and so is a worker whose Redis
 * connections stay down past the grace (a private Redis is stopped): a worker parked in "reconnecting" still
 * says it runs (bullmq #4585), so asking the worker is not enough.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Worker } from "bullmq";
import { Redis } from "ioredis";
import { redisPrefix, testEnv } from "../harness/fixtures.js";
import { waitFor } from "../harness/wait.js";
import { WorkerLiveness } from "../../worker/process/liveness.js";
import { startPrivateRedis } from "./harness.js";

const GRACE_MS = 60_000;
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** `maxLoopLagMs` Infinity: the fake clock jumps without the real interval ticking, which is no stall. */
async function setup(maxLoopLagMs = Number.POSITIVE_INFINITY, redisUrl = testEnv().redisUrl) {
  let now = 1_000_000;
  const clock = { now: () => now, advance: (ms: number) => (now += ms) };
  const connection = new Redis(redisUrl, { maxRetriesPerRequest: null });
  connection.on("error", () => undefined);
  const worker = new Worker("liveness", async () => undefined, {
    connection,
    prefix: redisPrefix("live"),
    autorun: true,
  });
  worker.on("error", () => undefined);
  await worker.waitUntilReady();
  const liveness = new WorkerLiveness(
    [worker],
    { main: connection },
    {
      clock: clock.now,
      disconnectedGraceMs: GRACE_MS,
      maxLoopLagMs,
    },
  );
  cleanups.push(() => connection.disconnect());
  cleanups.push(() => worker.close(true));
  cleanups.push(() => liveness.stop());
  await waitFor(async () => (await liveness.problem()) === undefined, {
    timeoutMs: 10_000,
    what: "the worker's connections to be ready",
  });
  return { clock, connection, worker, liveness };
}

describe("worker liveness", () => {
  it("is alive while its connections are ready and the event loop turns", async () => {
    const { clock, liveness } = await setup(10_000);
    clock.advance(5_000);
    expect(await liveness.problem()).toBeUndefined();
  });

  it("reports an event loop that has not turned for longer than the allowed lag", async () => {
    const { clock, liveness } = await setup(10_000);
    clock.advance(9_000);
    expect(await liveness.problem()).toBeUndefined();
    clock.advance(2_000);
    expect(await liveness.problem()).toMatch(/^event loop stalled for 11000 ms$/);
  });

  it("reports a worker whose Redis connections stay down past the grace, though it says it runs", async () => {
    const redis = await startPrivateRedis("noeviction");
    cleanups.push(() => redis.stop());
    const { clock, connection, worker, liveness } = await setup(Number.POSITIVE_INFINITY, redis.url);
    await redis.stop();
    await waitFor(() => connection.status !== "ready", { timeoutMs: 10_000, what: "the connection to drop" });
    expect(worker.isRunning()).toBe(true);
    // Down, but not for long yet.
    expect(await liveness.problem()).toBeUndefined();
    clock.advance(GRACE_MS / 2);
    expect(await liveness.problem()).toBeUndefined();
    clock.advance(GRACE_MS / 2 + 1);
    expect(await liveness.problem()).toMatch(/^Redis connection main has been \w+ for 60001 ms$/);
    expect(worker.isRunning()).toBe(true);
  });

  it("forgets a connection that came back before the grace ended", async () => {
    const { clock, connection, liveness } = await setup();
    connection.disconnect(true);
    await liveness.problem();
    clock.advance(GRACE_MS / 2);
    await waitFor(() => connection.status === "ready", { timeoutMs: 10_000, what: "the reconnect" });
    expect(await liveness.problem()).toBeUndefined();
    clock.advance(GRACE_MS);
    expect(await liveness.problem()).toBeUndefined();
  });
});
