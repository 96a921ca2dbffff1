/**
 * Per-sender rate limits through the whole path: with `sender.rateLimit.messagesPerMinute` on the Campaign,
 * what the provider receives never comes faster than the limit (in any sliding window of T seconds, at most
 * rate × T plus the burst, measured where the sandbox received them, not where the worker decided); and a throttling signal from the provider
 * (Evolution's `rate-overlimit`) slows that sender, and only that sender: a campaign on another WhatsApp
 * number keeps its pace. The second number is a second sandbox server.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CampaignSpecInput } from "../../crds/index.js";
import { startSandbox, type SandboxHandle } from "../sandbox/index.js";
import { waitFor } from "../harness/wait.js";
import {
  INSTANCE,
  WEBHOOK_TOKEN,
  startLocalStack,
  syntheticList,
  uniqueName,
  type LocalStack,
} from "../e2e/stack.js";
import { expectExactlyOnce, syntheticPhones, waitForFirstMessagesSent } from "./harness.js";

/** The pace test: fast enough that a limit decided before the send rather than at it shows at arrival. */
const FAST_PER_MINUTE = 600;
/** The cool-down test: slow enough that the other sender is still sending when the first is throttled. */
const PER_MINUTE = 120;
const BURST = 1;
/** Evolution's `rate-overlimit` carries no hint: the sender cools down for a minute. */
const COOL_DOWN_MS = 60_000;
const OTHER_INSTANCE = "outra-linha";

let stack: LocalStack;
let other: SandboxHandle;

beforeAll(async () => {
  stack = await startLocalStack({ sandbox: { patients: { enabled: false } } });
  other = await startSandbox({
    timeScale: 0.01,
    evolution: { instances: [{ name: OTHER_INSTANCE }] },
    patients: { enabled: false },
    webhooks: {
      evolution: {
        url: `http://127.0.0.1:${stack.webhook.port}/webhooks/sandbox/${stack.namespace}/${OTHER_INSTANCE}`,
        headers: { "x-webhook-token": WEBHOOK_TOKEN },
      },
    },
  });
}, 120_000);

afterAll(async () => {
  await other?.close();
  await stack?.stop();
});

function sender(
  sandbox: SandboxHandle,
  instance: string,
  perMinute = PER_MINUTE,
): CampaignSpecInput["sender"] {
  return {
    provider: "sandbox",
    credentialsSecretRef: { name: "sandbox-credentials" },
    instance,
    baseUrl: sandbox.url,
    rateLimit: { messagesPerMinute: perMinute, burst: BURST },
  };
}

/** Times (ms) at which the provider accepted each message to `numbers`, in order. */
async function acceptedAt(sandbox: SandboxHandle, numbers: readonly string[]): Promise<number[]> {
  const wanted = new Set(numbers);
  return (await sandbox.client.receivedAll())
    .filter((m) => wanted.has(m.number))
    .map((m) => m.at)
    .sort((a, b) => a - b);
}

/** The most messages in any window of `windowMs` starting at one of them. */
function busiestWindow(times: readonly number[], windowMs: number): number {
  let most = 0;
  for (let i = 0; i < times.length; i++) {
    let j = i;
    while (j < times.length && times[j]! < times[i]! + windowMs) j++;
    most = Math.max(most, j - i);
  }
  return most;
}

/** What the limit allows in a sliding window: the burst, plus the rate over the window, nothing more. */
const allowedIn = (windowMs: number, perMinute = PER_MINUTE) =>
  BURST + Math.floor((perMinute * windowMs) / 60_000);

describe("per-sender rate limits", () => {
  it("never sends faster than the Campaign's messagesPerMinute, measured at the provider", async () => {
    const patients = 60;
    const uid = await stack.createCampaign(uniqueName("ritmo"), syntheticList(patients, 1300), {
      sender: sender(stack.sandbox, INSTANCE, FAST_PER_MINUTE),
    });
    const rows = await waitForFirstMessagesSent(stack.pool, uid, patients, 120_000);
    // Waiting for the limit is no failed attempt: each row used exactly one.
    expect(rows.map((r) => r.attempts)).toEqual(rows.map(() => 1));
    const phones = syntheticPhones(patients, 1300);
    await expectExactlyOnce(stack.sandbox.client, phones);

    const times = await acceptedAt(stack.sandbox, phones);
    // Sliding windows of half a second, one and five: never more than the limit allows.
    for (const windowMs of [500, 1_000, 5_000]) {
      expect(busiestWindow(times, windowMs), `busiest ${windowMs} ms window`).toBeLessThanOrEqual(
        allowedIn(windowMs, FAST_PER_MINUTE),
      );
    }
    // Over the whole run: after the burst, no faster than the rate.
    const spanMs = times.at(-1)! - times[0]!;
    expect(times.length - BURST).toBeLessThanOrEqual((FAST_PER_MINUTE * spanMs) / 60_000 + 1);
  }, 180_000);

  it("slows only the throttled sender: the other number keeps its pace", async () => {
    await stack.sandbox.client.reset({ keepConfig: true });
    // The first number's provider refuses more than four sends a minute with rate-overlimit.
    await stack.sandbox.client.setFaults({ evolution: { rateOverlimit: { max: 4, windowMs: 60_000 } } });
    const patients = 12;
    const steadyPatients = 20;
    const throttledUid = await stack.createCampaign(uniqueName("freada"), syntheticList(patients, 1500), {
      sender: sender(stack.sandbox, INSTANCE),
    });
    const steadyUid = await stack.createCampaign(
      uniqueName("constante"),
      syntheticList(steadyPatients, 1600),
      {
        sender: sender(other, OTHER_INSTANCE),
      },
    );

    // The first refusal: from then on the throttled sender waits out its cool-down.
    const refusedAt = await waitFor(
      async () => {
        const { entries } = await stack.sandbox.client.requests({ limit: 10_000, provider: "evolution" });
        const refused = entries.filter((e) => e.operation === "sendText" && e.fault === "rate_overlimit");
        return refused.length > 0 ? Math.min(...refused.map((e) => e.at + e.durationMs)) : undefined;
      },
      { timeoutMs: 90_000, what: "the provider to throttle the first sender", intervalMs: 50 },
    );
    // The provider would take sends again; the sender must still wait.
    await stack.sandbox.client.clearFaults();

    const steadyPhones = syntheticPhones(steadyPatients, 1600);
    await waitForFirstMessagesSent(stack.pool, steadyUid, steadyPatients, 90_000);
    await expectExactlyOnce(other.client, steadyPhones);
    const throttledPhones = syntheticPhones(patients, 1500);
    const throttledRows = await waitForFirstMessagesSent(
      stack.pool,
      throttledUid,
      patients,
      COOL_DOWN_MS + 60_000,
    );
    // Neither the throttled send nor those that waited out the cool-down used up an attempt.
    expect(throttledRows.map((r) => r.attempts)).toEqual(throttledRows.map(() => 1));
    await expectExactlyOnce(stack.sandbox.client, throttledPhones);

    // The throttled sender sent nothing during its cool-down (requests already in flight aside).
    const { entries } = await stack.sandbox.client.requests({ limit: 10_000, provider: "evolution" });
    const sends = entries.filter((e) => e.operation === "sendText").map((e) => e.at);
    const during = sends.filter((at) => at > refusedAt + 1_000 && at < refusedAt + COOL_DOWN_MS - 1_000);
    expect(during).toEqual([]);
    const resumed = sends.filter((at) => at >= refusedAt + COOL_DOWN_MS - 1_000);
    expect(resumed.length).toBeGreaterThan(0);
    // After the cool-down it goes back to its pace, not all at once.
    const throttled = await acceptedAt(stack.sandbox, throttledPhones);
    expect(busiestWindow(throttled, 1_000)).toBeLessThanOrEqual(allowedIn(1_000));

    // The other sender kept sending while the first one waited, at its own pace.
    const steady = await acceptedAt(other, steadyPhones);
    expect(steady.filter((at) => at > refusedAt).length).toBeGreaterThan(0);
    expect(steady.at(-1)!).toBeLessThan(refusedAt + COOL_DOWN_MS - 1_000);
    expect(busiestWindow(steady, 1_000)).toBeLessThanOrEqual(allowedIn(1_000));
  }, 240_000);
});
