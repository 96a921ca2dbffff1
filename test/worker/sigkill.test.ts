/**
 * A worker killed with SIGKILL in the middle of a campaign, with sends in flight, and started again. The
 * interrupted rows stay claimed; the restarted worker's stale-claim resolver decides each from the provider's
 * own word (the sandbox's Evolution `send.message` echoes): a message the provider accepted is recorded as
 * sent, never sent again; a message it never received is sent again. Every patient gets the first message
 * exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../harness/wait.js";
import { startLocalStack, syntheticList, uniqueName, type LocalStack } from "../e2e/stack.js";
import {
  expectExactlyOnce,
  isSent,
  outboxRows,
  syntheticPhones,
  waitForFirstMessagesSent,
  WorkerSubprocess,
} from "./harness.js";

const PATIENTS = 40;
const OFFSET = 300;
/** Claims older than this are stale; far longer than any send in this test takes before the kill. */
const STALE_ENV = { SEND_STALE_CLAIM_SECONDS: "12", SEND_STALE_CHECK_SECONDS: "2" };
let stack: LocalStack;
const workers: WorkerSubprocess[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    worker: false,
    sandbox: {
      patients: { enabled: false },
      // Sends take a while, so some are in flight when the worker dies; held answers stay held past the kill.
      faults: { latencyMs: { min: 200, max: 1000 }, hangMs: 60_000 },
    },
  });
}, 120_000);

afterAll(async () => {
  for (const w of workers) await w.stop();
  await stack?.stop();
});

describe("a worker killed with SIGKILL mid-campaign", () => {
  it("is restarted, resolves the interrupted sends from the provider's echoes, and sends each message once", async () => {
    // The first three sends are accepted by the provider but their answers never come back; the next three
    // never reach it at all. Both kinds are still in flight when the worker dies.
    await stack.sandbox.client.nextFault([
      { fault: "accepted_timeout", operation: "sendText", times: 3 },
      { fault: "dropped_timeout", operation: "sendText", times: 3 },
    ]);
    const first = await WorkerSubprocess.start(stack, "kill-a", STALE_ENV);
    workers.push(first);
    const name = uniqueName("sigkill");
    const uid = await stack.createCampaign(name, syntheticList(PATIENTS, OFFSET));

    await waitFor(
      async () => {
        const config = await stack.sandbox.client.config();
        const received = await stack.sandbox.client.receivedCounts();
        return config.pendingFaults.length === 0 && received.totalMessages >= 8;
      },
      {
        timeoutMs: 90_000,
        what: "the campaign to be sending with the faulted sends in flight",
        intervalMs: 100,
      },
    );
    await first.kill9();

    const atKill = await outboxRows(stack.pool, uid);
    const interrupted = atKill.filter((r) => r.state === "claimed");
    // At least the six held sends were in flight; no claim was given up by the dead worker.
    expect(interrupted.length).toBeGreaterThanOrEqual(6);
    expect(interrupted.every((r) => r.claimed_by === "kill-a")).toBe(true);

    const second = await WorkerSubprocess.start(stack, "kill-b", STALE_ENV);
    workers.push(second);
    const restartedAt = Date.now();
    // A job the dead worker had fetched but not yet claimed a row for keeps its BullMQ lock (90 s) until the
    // stall check (every 30 s) hands it to the new worker: allow for that as well as for the stale-claim rule.
    const rows = await waitForFirstMessagesSent(stack.pool, uid, PATIENTS, 150_000);
    await expectExactlyOnce(stack.sandbox.client, syntheticPhones(PATIENTS, OFFSET));

    // Each interrupted row was settled by the rule: accepted before the kill → recorded from the echo, not
    // sent again (its claim is still the dead worker's); never accepted → sent again by the new worker.
    // The provider accepted a message before the restart only from the dead worker's requests.
    const acceptedBeforeRestart = new Set(
      (await stack.sandbox.client.receivedAll()).filter((m) => m.at < restartedAt).map((m) => m.number),
    );
    const after = new Map(rows.map((r) => [r.id, r]));
    let confirmed = 0;
    let resent = 0;
    for (const row of interrupted) {
      const now = after.get(row.id)!;
      expect(isSent(now)).toBe(true);
      if (acceptedBeforeRestart.has(row.e164)) {
        expect(now.claimed_by, `row ${row.id} was accepted before the kill`).toBe("kill-a");
        confirmed++;
      } else {
        expect(now.claimed_by, `row ${row.id} never reached the provider`).toBe("kill-b");
        resent++;
      }
    }
    expect(confirmed).toBeGreaterThanOrEqual(3);
    expect(resent).toBeGreaterThanOrEqual(3);
    const log = second.logEntries().map((e) => e.msg);
    expect(
      log.filter((m) => m.startsWith("Resolved an interrupted send: the provider had accepted it")),
    ).toHaveLength(confirmed);
    expect(
      log.filter((m) => m.startsWith("Resolved an interrupted send: the provider never accepted it")),
    ).toHaveLength(resent);
  }, 300_000);
});
