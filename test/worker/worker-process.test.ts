/**
 * The worker process as an operator runs it (`busca-ativa worker`, a real subprocess): it refuses a Redis
 * that may evict keys, with a message that says what to change; and on SIGTERM it stops taking jobs,
 * finishes the send in flight (recorded, not lost) and exits 0, leaving the rest to the next worker.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Redis } from "ioredis";
import { testEnv, uniqueSuffix } from "../harness/fixtures.js";
import { waitFor } from "../harness/wait.js";
import { AppError } from "../../lib/errors.js";
import { parseWorkerConfig } from "../../worker/process/config.js";
import { startWorkerProcess } from "../../worker/process/worker-process.js";
import { createLogger } from "../../lib/logger.js";
import { startLocalStack, syntheticList, uniqueName, type LocalStack } from "../e2e/stack.js";
import {
  expectExactlyOnce,
  isSent,
  outboxRows,
  startPrivateRedis,
  syntheticPhones,
  waitForFirstMessagesSent,
  WorkerSubprocess,
} from "./harness.js";

describe("a worker on a Redis that may evict keys", () => {
  let redis: { url: string; stop: () => Promise<void> };
  beforeAll(async () => {
    redis = await startPrivateRedis("allkeys-lru");
  }, 60_000);
  afterAll(async () => {
    await redis?.stop();
  });

  it("refuses to start, naming the policy and how to fix it", async () => {
    const config = parseWorkerConfig({
      DATABASE_URL: testEnv().databaseUrl,
      REDIS_URL: redis.url,
      HEALTH_PORT: "0",
    });
    const started = startWorkerProcess({
      config,
      groups: ["outbound", "inbound"],
      logger: createLogger({ component: "test", level: "silent" }),
    });
    const error = await started.then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe("REDIS_EVICTION_POLICY");
    expect((error as AppError).message).toContain('"allkeys-lru"');
    expect((error as AppError).message).toContain("maxmemory-policy noeviction");
    // It left no connection open behind it (which would keep a CLI process from exiting).
    const admin = new Redis(redis.url);
    try {
      await waitFor(
        async () =>
          String(await admin.client("LIST"))
            .trim()
            .split("\n").length === 1,
        {
          timeoutMs: 10_000,
          what: "the refused worker's Redis connection to close",
        },
      );
    } finally {
      admin.disconnect();
    }
  });

  it("exits with status 1 and the message when started from the CLI", async () => {
    const worker = WorkerSubprocess.launch(`lru-${uniqueSuffix()}`, {
      DATABASE_URL: testEnv().databaseUrl,
      REDIS_URL: redis.url,
      HEALTH_PORT: "0",
      KUBECONFIG: testEnv().kubeconfig,
    });
    try {
      expect(await worker.waitForExit(60_000)).toBe(1);
      expect(worker.tail()).toContain("REDIS_EVICTION_POLICY");
      expect(worker.tail()).toContain("maxmemory-policy noeviction");
    } finally {
      await worker.stop();
    }
  }, 90_000);
});

describe("a worker stopped with SIGTERM", () => {
  let stack: LocalStack;
  const workers: WorkerSubprocess[] = [];
  beforeAll(async () => {
    stack = await startLocalStack({
      worker: false,
      // Every send takes 3 s at the provider, so one is surely in flight when the signal comes.
      sandbox: { patients: { enabled: false }, faults: { latencyMs: 3_000 } },
    });
  }, 120_000);
  afterAll(async () => {
    for (const w of workers) await w.stop();
    await stack?.stop();
  });

  it("stops taking jobs, finishes the send in flight and records it, and loses nothing", async () => {
    const first = await WorkerSubprocess.start(stack, "term-a");
    workers.push(first);
    const health = await fetch(`http://127.0.0.1:${first.healthPort()}/healthz`);
    expect(health.status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${first.healthPort()}/readyz`)).status).toBe(200);

    // First messages 1 s apart (100 s × 0.01), so more keep coming due after the signal.
    const patients = 8;
    const uid = await stack.createCampaign(uniqueName("sigterm"), syntheticList(patients, 1100), {
      schedule: {
        window: { start: "00:00", end: "23:59" },
        daysOfWeek: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        dailyQuota: 10_000,
        typingWarmup: "0s",
        interval: "100s",
        jitterPercent: 0,
      },
    });
    const inFlight = await waitFor(
      async () => {
        const rows = await outboxRows(stack.pool, uid);
        const claimed = rows.filter((r) => r.state === "claimed");
        return claimed.length > 0 ? claimed : undefined;
      },
      { timeoutMs: 90_000, what: "a send to be in flight", intervalMs: 50 },
    );
    const { rows: clock } = await stack.pool.query<{ now: Date }>("SELECT now()");
    const signalledAt = clock[0]!.now;
    await first.terminate(60_000);
    expect(first.exitCode).toBe(0);
    const log = first.logEntries().map((e) => e.msg);
    expect(log).toContain("Worker stopping: no new jobs, finishing active ones");
    expect(log).toContain("Worker stopped");
    expect(log.some((m) => m.startsWith("Active jobs did not finish"))).toBe(false);

    // The sends it held were finished and recorded; it claimed nothing after the signal.
    const after = await outboxRows(stack.pool, uid);
    for (const row of inFlight) {
      const now = after.find((r) => r.id === row.id)!;
      expect(isSent(now), `row ${row.id} is ${now.state}`).toBe(true);
      expect(now.claimed_by).toBe("term-a");
    }
    const { rows: late } = await stack.pool.query(
      "SELECT id FROM outbox WHERE campaign_uid = $1 AND claimed_by = 'term-a' AND claimed_at > $2",
      [uid, signalledAt],
    );
    expect(late).toEqual([]);
    expect(after.some((r) => r.state === "pending")).toBe(true);

    // The next worker takes the rest; every patient gets the message once.
    workers.push(await WorkerSubprocess.start(stack, "term-b"));
    const rows = await waitForFirstMessagesSent(stack.pool, uid, patients, 90_000);
    expect(rows.some((r) => r.claimed_by === "term-b")).toBe(true);
    await expectExactlyOnce(stack.sandbox.client, syntheticPhones(patients, 1100));
  }, 240_000);
});
