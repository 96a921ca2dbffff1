/**
 * A campaign's whole life through the real pieces: kubectl-style apply → controller → import job →
 * validation → paced first messages → sandbox patients answer by webhook → reply state machine → answers →
 * status written back, Completed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../harness/wait.js";
import { startLocalStack, syntheticList, uniqueName, type LocalStack } from "./stack.js";

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    sandbox: {
      patients: {
        shares: { yes: 1, no: 0, unknown: 0, optOut: 0, freeText: 0, silence: 0 },
        replyDelayMs: { min: 100, max: 500 },
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("a campaign's life", () => {
  it("imports, validates, sends each patient one first message, reads the answers and completes", async () => {
    const name = uniqueName("cirurgia");
    await stack.createCampaign(name, syntheticList(20));
    const done = await stack.waitForPhase(name, "Completed", 90_000);
    expect(done.counts?.contacts).toBe(20);
    // With no follow-up schedule the campaign completes once every first message went; answers that come
    // after that show at the controller's next look at a completed campaign, every 60 s.
    await waitFor(async () => (await stack.campaignStatus(name))?.counts?.confirmed === 20, {
      timeoutMs: 150_000,
      what: "every patient's SIM to be recorded",
    });
    const received = await stack.sandbox.client.receivedCounts();
    expect(received.duplicates).toEqual([]);
    // Each patient got exactly one first message and one confirmation answer.
    expect(Object.keys(received.numbers)).toHaveLength(20);
    for (const entry of Object.values(received.numbers)) expect(entry.total).toBe(2);
    const status = await stack.campaignStatus(name);
    expect(status?.conditions?.find((c) => c.type === "AudienceImported")?.status).toBe("True");
    expect(status?.conditions?.find((c) => c.type === "Completed")?.status).toBe("True");
    expect(status?.progress).toBe(100);
  }, 300_000);
});
