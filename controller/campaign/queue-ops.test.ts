/**
 * `CampaignQueues.addSends` against a real Redis and real BullMQ workers: a pending outbox row whose job
 * (same deterministic id) already finished gets a job again; a job that is waiting, delayed or running is
 * never doubled. The caller (the reconciler) only passes rows PostgreSQL says are pending.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { UnrecoverableError, Worker, type Job } from "bullmq";
import { Redis } from "ioredis";
import { redisPrefix, testEnv } from "../../test/harness/fixtures.js";
import { waitFor } from "../../test/harness/wait.js";
import { jobIds } from "../../lib/queue/jobs.js";
import { JobProducer } from "../../lib/queue/producer.js";
import { CampaignQueues } from "./queue-ops.js";

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function setUp(): { producer: JobProducer; queues: CampaignQueues; prefix: string } {
  const prefix = redisPrefix("qops");
  const producer = new JobProducer({ redisUrl: testEnv().redisUrl, prefix });
  cleanups.push(async () => {
    await producer.queue("send").obliterate({ force: true });
    await producer.close();
  });
  return { producer, queues: new CampaignQueues(producer), prefix };
}

/** A real BullMQ worker on the send queue, running `process` for each job. */
function sendWorker(prefix: string, process: (job: Job) => Promise<void>, concurrency = 4): Worker {
  const connection = new Redis(testEnv().redisUrl, { maxRetriesPerRequest: null });
  const worker = new Worker("send", process, { connection, prefix, concurrency });
  worker.on("error", () => undefined);
  cleanups.push(async () => {
    await worker.close(true); // does not wait for a job a failed test left running
    connection.disconnect();
  });
  return worker;
}

async function stateOf(producer: JobProducer, outboxId: number, attempts = 0): Promise<string> {
  return producer.queue("send").getJobState(jobIds.send(outboxId, attempts));
}

const due = (outboxId: number, dueInMs = 0) => ({ outboxId, attempts: 0, dueInMs });

describe("CampaignQueues.addSends", () => {
  it("adds a job for a pending row whose job with the same id completed", async () => {
    const { producer, queues, prefix } = setUp();
    const campaign = randomUUID();
    expect(await queues.addSends(campaign, [due(11)])).toBe(1);
    let runs = 0;
    const worker = sendWorker(prefix, async () => {
      runs++; // e.g. the row was claimed by someone else: the job ends, the row later goes back to pending
    });
    await waitFor(async () => (await stateOf(producer, 11)) === "completed", {
      timeoutMs: 20_000,
      what: "the first job to complete",
    });
    await worker.close();

    expect(await queues.addSends(campaign, [due(11)])).toBe(1);
    expect(["waiting", "prioritized"]).toContain(await stateOf(producer, 11));
    const job = await producer.queue("send").getJob(jobIds.send(11, 0));
    expect(job?.data).toEqual({ campaignUid: campaign, outboxId: 11 });
    expect(job?.finishedOn).toBeUndefined();

    const again = sendWorker(prefix, async () => {
      runs++;
    });
    await waitFor(async () => (await stateOf(producer, 11)) === "completed", {
      timeoutMs: 20_000,
      what: "the re-added job to run",
    });
    await again.close();
    expect(runs).toBe(2);
  });

  it("adds a job for a pending row whose job with the same id failed", async () => {
    const { producer, queues, prefix } = setUp();
    const campaign = randomUUID();
    expect(await queues.addSends(campaign, [due(21), due(22)])).toBe(2);
    const worker = sendWorker(prefix, async (job) => {
      if ((job.data as { outboxId: number }).outboxId === 21) throw new UnrecoverableError("gave up");
    });
    await waitFor(
      async () => (await stateOf(producer, 21)) === "failed" && (await stateOf(producer, 22)) === "completed",
      { timeoutMs: 20_000, what: "one job to fail and one to complete" },
    );
    await worker.close();

    expect(await queues.addSends(campaign, [due(21, 60_000), due(22, 60_000)])).toBe(2);
    expect(await stateOf(producer, 21)).toBe("delayed");
    expect(await stateOf(producer, 22)).toBe("delayed");
  });

  it("never adds a second job beside one that is running, waiting or delayed", async () => {
    const { producer, queues, prefix } = setUp();
    const campaign = randomUUID();
    expect(await queues.addSends(campaign, [due(31), due(32, 60_000)])).toBe(2);
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const started: number[] = [];
    // One job at a time: while 31 runs, this worker takes nothing else.
    sendWorker(
      prefix,
      async (job) => {
        started.push((job.data as { outboxId: number }).outboxId);
        await gate;
      },
      1,
    );
    await waitFor(async () => (await stateOf(producer, 31)) === "active", {
      timeoutMs: 20_000,
      what: "the job to be running",
    });
    expect(await queues.addSends(campaign, [due(31), due(32), due(33)])).toBe(1);
    expect(await stateOf(producer, 31)).toBe("active");
    expect(await stateOf(producer, 32)).toBe("delayed");
    expect(["waiting", "prioritized"]).toContain(await stateOf(producer, 33));
    const counts = await producer.queue("send").getJobCounts("active", "wait", "delayed", "prioritized");
    expect(counts).toEqual({ active: 1, wait: 1, delayed: 1, prioritized: 0 });
    release();
    await waitFor(async () => (await stateOf(producer, 33)) === "completed", {
      timeoutMs: 20_000,
      what: "the running job and the added one to finish",
    });
    expect(started).toEqual([31, 33]);
  });

  it("sorts many rows in one call: absent and finished ones get jobs, queued ones do not", async () => {
    const { producer, queues, prefix } = setUp();
    const campaign = randomUUID();
    const finished = Array.from({ length: 40 }, (_, i) => 1000 + i);
    expect(
      await queues.addSends(
        campaign,
        finished.map((id) => due(id)),
      ),
    ).toBe(40);
    const worker = sendWorker(prefix, async () => undefined);
    await waitFor(async () => (await producer.queue("send").getJobCounts("completed")).completed === 40, {
      timeoutMs: 30_000,
      what: "40 jobs to complete",
    });
    await worker.close();
    const delayed = Array.from({ length: 60 }, (_, i) => 2000 + i);
    expect(
      await queues.addSends(
        campaign,
        delayed.map((id) => due(id, 60_000)),
      ),
    ).toBe(60);

    const absent = Array.from({ length: 300 }, (_, i) => 3000 + i);
    const rows = [...finished, ...delayed, ...absent].map((id) => due(id, 60_000));
    expect(await queues.addSends(campaign, rows)).toBe(340);
    const counts = await producer.queue("send").getJobCounts("completed", "delayed");
    expect(counts).toEqual({ completed: 0, delayed: 400 });
    expect(await queues.addSends(campaign, rows)).toBe(0);
    expect(await queues.addSends(campaign, [])).toBe(0);
  });
});
