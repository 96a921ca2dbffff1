/**
 * The controller under stress, on the real stack: restarted mid-campaign, Redis wiped mid-campaign, and at
 * rest. Every patient still gets the first message exactly once, status stays continuous, and a finished
 * campaign causes no status writes.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as k8s from "@kubernetes/client-node";
import { Redis } from "ioredis";
import { CAMPAIGN_PLURAL, GROUP, VERSION } from "../../crds/index.js";
import { startControllerProcess } from "../../controller/process/controller-process.js";
import { parseControllerConfig } from "../../controller/process/config.js";
import { waitFor } from "../harness/wait.js";
import { startLocalStack, syntheticList, uniqueName, type LocalStack } from "../e2e/stack.js";

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    // 5 s intervals × 0.02 = 100 ms between first messages: a 40-patient campaign takes ~4 s to send.
    timeScale: 0.02,
    sandbox: {
      patients: {
        shares: { yes: 1, no: 0, unknown: 0, optOut: 0, freeText: 0, silence: 0 },
        replyDelayMs: { min: 50, max: 200 },
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

async function expectEachNumberOnce(count: number): Promise<void> {
  const received = await stack.sandbox.client.receivedCounts();
  expect(received.duplicates).toEqual([]);
  expect(Object.keys(received.numbers).length).toBeGreaterThanOrEqual(count);
}

describe("the campaign controller", () => {
  it("picks up where it stopped after a restart: no duplicate work, status continuous", async () => {
    const name = uniqueName("restart");
    await stack.createCampaign(name, syntheticList(40, 1000));
    await waitFor(async () => ((await stack.campaignStatus(name))?.counts?.sent ?? 0) >= 5, {
      timeoutMs: 60_000,
      what: "the campaign to be sending",
    });
    const before = (await stack.campaignStatus(name))!;
    await stack.controller!.stop();
    const controller = await startControllerProcess({
      config: parseControllerConfig(stack.env),
      kubeConfig: stack.kc,
      logger: stack.logger,
    });
    stack.controller = controller;
    const progress: number[] = [];
    const done = await waitFor(
      async () => {
        const status = await stack.campaignStatus(name);
        progress.push(status?.counts?.sent ?? 0);
        return status?.phase === "Completed" && status.counts?.confirmed === 40 ? status : undefined;
      },
      { timeoutMs: 90_000, what: "the campaign to complete after the restart", intervalMs: 250 },
    );
    expect(done.startTime).toBe(before.startTime);
    // Never backwards: the counts come from PostgreSQL, not from the restarted process's memory.
    for (let i = 1; i < progress.length; i++) expect(progress[i]!).toBeGreaterThanOrEqual(progress[i - 1]!);
    await expectEachNumberOnce(40);
  }, 180_000);

  it("re-creates the jobs Redis lost from PostgreSQL, and every patient still gets one first message", async () => {
    const name = uniqueName("wiped");
    const uid = await stack.createCampaign(name, syntheticList(40, 2000));
    await waitFor(async () => ((await stack.campaignStatus(name))?.counts?.sent ?? 0) >= 3, {
      timeoutMs: 60_000,
      what: "the campaign to be sending",
    });
    // Wipe this stack's queues (the shared Redis also serves other tests, so only our prefix).
    const redis = new Redis(stack.redisUrl);
    try {
      let cursor = "0";
      let deleted = 0;
      do {
        const [next, keys] = await redis.scan(cursor, "MATCH", `${stack.prefix}:*`, "COUNT", 1000);
        cursor = next;
        const queueKeys = keys.filter((k) => !k.includes(":ratelimit:"));
        if (queueKeys.length) deleted += await redis.del(...queueKeys);
      } while (cursor !== "0");
      expect(deleted).toBeGreaterThan(0);
    } finally {
      redis.disconnect();
    }
    await waitFor(
      async () => {
        const status = await stack.campaignStatus(name);
        return status?.phase === "Completed" && status.counts?.confirmed === 40;
      },
      { timeoutMs: 120_000, what: "the campaign to complete after Redis lost its jobs", intervalMs: 500 },
    );
    const { rows } = await stack.pool.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM outbox WHERE campaign_uid = $1 AND kind = 'initial' AND state IN ('sent', 'delivered', 'read')",
      [uid],
    );
    expect(rows[0]!.n).toBe(40);
    await expectEachNumberOnce(80);
  }, 200_000);

  it("writes no status at rest", async () => {
    const name = uniqueName("rest");
    await stack.createCampaign(name, syntheticList(5, 3000));
    await waitFor(
      async () => {
        const status = await stack.campaignStatus(name);
        return status?.phase === "Completed" && status.counts?.confirmed === 5;
      },
      { timeoutMs: 90_000, what: "the campaign to complete" },
    );
    // Watch the object; once no change has come for 7 s (the last throttled write has landed), count every
    // change over the next 20 s, which covers several reconciles of this campaign (requeued every 5-60 s).
    const startedWatching = Date.now();
    const modifiedAt: number[] = [];
    const watch = new k8s.Watch(stack.kc);
    const request = await watch.watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${stack.namespace}/${CAMPAIGN_PLURAL}`,
      { fieldSelector: `metadata.name=${name}` },
      (phase) => {
        if (phase === "MODIFIED") modifiedAt.push(Date.now());
      },
      () => undefined,
    );
    let quietSince = 0;
    try {
      quietSince = await waitFor(
        () => {
          const last = Math.max(modifiedAt.at(-1) ?? 0, startedWatching);
          return Date.now() - last >= 7_000 ? Date.now() : undefined;
        },
        { timeoutMs: 60_000, what: "no status change for 7 s", intervalMs: 250 },
      );
      await waitFor(() => Date.now() - quietSince >= 20_000, {
        timeoutMs: 30_000,
        what: "20 s of watching",
        intervalMs: 500,
      });
    } finally {
      request.abort();
    }
    const modified = modifiedAt.filter((t) => t > quietSince);
    expect(modified).toEqual([]);
  }, 180_000);
});
