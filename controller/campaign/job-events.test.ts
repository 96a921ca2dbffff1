/**
 * A campaign is woken when its import or validation job finishes (real Redis, real BullMQ workers), and
 * the campaign uid is read back from the deterministic job ids.
 */
import { randomUUID } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { UnrecoverableError, Worker } from "bullmq";
import { Redis } from "ioredis";
import { redisPrefix, testEnv } from "../../test/harness/fixtures.js";
import { waitFor } from "../../test/harness/wait.js";
import { createLogger } from "../../lib/logger.js";
import { jobIds, type QueueName } from "../../lib/queue/jobs.js";
import { JobProducer } from "../../lib/queue/producer.js";
import { CampaignJobEvents, campaignUidOfJobId } from "./job-events.js";

const logger = createLogger({ component: "job-events-test", level: "silent" });
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

function worker(name: QueueName, prefix: string, fail: boolean): void {
  const connection = new Redis(testEnv().redisUrl, { maxRetriesPerRequest: null });
  const w = new Worker(
    name,
    async () => {
      if (fail) throw new UnrecoverableError("the list cannot be read");
    },
    { connection, prefix },
  );
  w.on("error", () => undefined);
  cleanups.push(async () => {
    await w.close();
    connection.disconnect();
  });
}

describe("campaignUidOfJobId", () => {
  it.each([
    [jobIds.import("0b4f0b3e-3c7e-4a7b-9b1d-1c1f0e9c2a11", 1), "0b4f0b3e-3c7e-4a7b-9b1d-1c1f0e9c2a11"],
    [jobIds.validate("0b4f0b3e-3c7e-4a7b-9b1d-1c1f0e9c2a11", 42), "0b4f0b3e-3c7e-4a7b-9b1d-1c1f0e9c2a11"],
    [jobIds.send(12, 0), undefined],
    [jobIds.inbound("evolution", "ABC.DEF"), undefined],
    ["import.not-a-uid.1", undefined],
    ["", undefined],
  ])("%s → %s", (jobId, uid) => {
    expect(campaignUidOfJobId(jobId)).toBe(uid);
  });
});

describe("CampaignJobEvents", () => {
  it("reports the campaign of each import or validation job that completes or fails, and nothing else", async () => {
    const prefix = redisPrefix("jobev");
    const producer = new JobProducer({ redisUrl: testEnv().redisUrl, prefix });
    cleanups.push(() => producer.close());
    const woken: string[] = [];
    const events = new CampaignJobEvents({
      redisUrl: testEnv().redisUrl,
      prefix,
      logger,
      onFinished: (uid) => woken.push(uid),
    });
    cleanups.push(() => events.close());
    await events.waitUntilReady();

    const imported = randomUUID();
    const validated = randomUUID();
    const sent = randomUUID();
    worker("import", prefix, false);
    worker("validate", prefix, true);
    worker("send", prefix, false);
    await producer.add("send", { jobId: jobIds.send(7, 0), data: { campaignUid: sent, outboxId: 7 } });
    await producer.add("import", { jobId: jobIds.import(imported, 1), data: { campaignUid: imported } });
    await producer.add("validate", {
      jobId: jobIds.validate(validated, 3),
      data: { campaignUid: validated, phoneIds: [3, 4] },
    });
    await waitFor(() => woken.includes(imported) && woken.includes(validated), {
      timeoutMs: 20_000,
      what: "both campaigns to be woken",
    });
    await waitFor(async () => (await producer.queue("send").getJobState(jobIds.send(7, 0))) === "completed", {
      timeoutMs: 20_000,
      what: "the send job to complete",
    });
    expect(woken).not.toContain(sent);
    expect(woken.filter((uid) => uid === imported)).toHaveLength(1);
  });
});
