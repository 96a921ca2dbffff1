/**
 * Two worker processes (real `busca-ativa worker` subprocesses) consuming the same queues, with every send
 * offered to both at the same instant: each outbox row also gets two extra send jobs that become due together
 * with its own. The claim in PostgreSQL must let exactly one of them send; every patient gets the first message
 * exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { waitFor } from "../harness/wait.js";
import { startLocalStack, syntheticList, uniqueName, type LocalStack } from "../e2e/stack.js";
import {
  expectExactlyOnce,
  metricValue,
  outboxRows,
  syntheticPhones,
  waitForFirstMessagesSent,
  WorkerSubprocess,
} from "./harness.js";

const PATIENTS = 40;
let stack: LocalStack;
const workers: WorkerSubprocess[] = [];
let redis: Redis;

beforeAll(async () => {
  stack = await startLocalStack({
    worker: false,
    // Sends take a little while, so both workers hold some at once.
    sandbox: { patients: { enabled: false }, faults: { latencyMs: { min: 20, max: 200 } } },
  });
  redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.stop();
  redis?.disconnect();
  await stack?.stop();
});

describe("two workers racing on the same queues", () => {
  it("send each patient's first message exactly once", async () => {
    workers.push(
      ...(await Promise.all([
        WorkerSubprocess.start(stack, "race-a"),
        WorkerSubprocess.start(stack, "race-b"),
      ])),
    );
    const name = uniqueName("race");
    const uid = await stack.createCampaign(name, syntheticList(PATIENTS, 100));

    // Two more jobs for every outbox row, as a retried job, a rebuilt queue or a resolver would add: they
    // find the row not yet due, wait for its time, and race its own job for the claim.
    const queue = new Queue("send", { connection: redis, prefix: stack.prefix });
    const doubled = new Set<number>();
    const doubling = (async () => {
      while (doubled.size < PATIENTS) {
        for (const row of await outboxRows(stack.pool, uid)) {
          if (doubled.has(row.id)) continue;
          doubled.add(row.id);
          const data = { campaignUid: uid, outboxId: row.id };
          await queue.addBulk([
            { name: "send", data, opts: { jobId: `send.${row.id}.race-a` } },
            { name: "send", data, opts: { jobId: `send.${row.id}.race-b` } },
          ]);
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await waitFor(() => doubling.then(() => true), { timeoutMs: 90_000, what: "every row to be doubled" });
    await queue.close();

    const rows = await waitForFirstMessagesSent(stack.pool, uid, PATIENTS, 90_000);
    const phones = syntheticPhones(PATIENTS, 100);
    expect(rows.map((r) => r.e164).sort()).toEqual([...phones].sort());
    expect(new Set(rows.map((r) => r.provider_message_id)).size).toBe(PATIENTS);
    // Both workers sent some: the race was real.
    const senders = new Set(rows.map((r) => r.claimed_by));
    expect(senders).toEqual(new Set(["race-a", "race-b"]));

    await expectExactlyOnce(stack.sandbox.client, phones);

    // Each worker's metrics: the sends add up to one per patient, and both extra jobs of every row lost.
    const counts = async (outcome: string) => {
      const texts = await Promise.all(
        workers.map(async (w) => (await fetch(`http://127.0.0.1:${w.healthPort()}/metrics`)).text()),
      );
      return texts.map((t) => metricValue(t, "busca_ativa_jobs_total", { queue: "send", outcome }));
    };
    await waitFor(async () => (await counts("skipped")).reduce((a, b) => a + b, 0) === 2 * PATIENTS, {
      timeoutMs: 30_000,
      what: "both extra jobs of every row to find it taken",
    });
    const sent = await counts("sent");
    expect(sent.reduce((a, b) => a + b, 0)).toBe(PATIENTS);
    expect(sent.every((n) => n > 0)).toBe(true);
  }, 180_000);
});
