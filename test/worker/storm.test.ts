/**
 * A storm at the provider: 30 % of every call answers 5xx, and 10 % of the sends are accepted but their
 * answers are held past the client's timeout. A 5xx or a timeout after the request went out leaves the
 * outcome unknown: the row stays claimed and the stale-claim resolver decides it from the provider's echo.
 * Every patient still gets each message (the first one and the answer to their SIM) exactly once.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../harness/wait.js";
import { startLocalStack, syntheticList, uniqueName, type LocalStack } from "../e2e/stack.js";
import { expectExactlyOnce, outboxRows, isSent, syntheticPhones, waitForOutbox } from "./harness.js";

const PATIENTS = 20;
const OFFSET = 700;
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    worker: false,
    sandbox: {
      patients: {
        shares: { yes: 1, no: 0, unknown: 0, optOut: 0, freeText: 0, silence: 0 },
        replyDelayMs: { min: 100, max: 500 },
      },
      // Held answers outlast the Evolution client's 20 s send timeout.
      faults: { serverErrorRate: 0.3, timeoutRate: 0.1, hangMs: 22_000 },
    },
  });
  // The stale-claim rule needs claims older than the longest send; here no request waits before the
  // provider processes it (a 5xx answers at once, a held answer was processed first), so a short one is safe.
  Object.assign(stack.env, { SEND_STALE_CLAIM_SECONDS: "8", SEND_STALE_CHECK_SECONDS: "2" });
  stack.worker = await stack.startWorker();
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("a storm of provider 5xx and timeouts", () => {
  it("still gets each message to every patient exactly once", async () => {
    // At least two sends are surely held, whatever the draws.
    await stack.sandbox.client.nextFault({ fault: "accepted_timeout", operation: "sendText", times: 2 });
    const name = uniqueName("storm");
    const uid = await stack.createCampaign(name, syntheticList(PATIENTS, OFFSET));

    await waitForOutbox(
      stack.pool,
      uid,
      (rows) =>
        rows.filter((r) => r.kind === "initial").length === PATIENTS &&
        rows.filter((r) => r.kind === "reply").length === PATIENTS &&
        rows.every(isSent),
      { timeoutMs: 150_000, what: "every first message and every answer to be sent" },
    );
    await expectExactlyOnce(stack.sandbox.client, syntheticPhones(PATIENTS, OFFSET), 2);

    // The storm was real: sends answered 5xx and sends held past the timeout, and rows took several claims.
    // (A held answer is logged when it is finally given, after the test's sends were resolved.)
    const sends = await waitFor(
      async () => {
        const { entries } = await stack.sandbox.client.requests({ limit: 10_000, provider: "evolution" });
        const list = entries.filter((e) => e.operation === "sendText");
        return list.filter((e) => e.fault === "accepted_timeout").length >= 2 ? list : undefined;
      },
      { timeoutMs: 30_000, what: "the held answers to be given", intervalMs: 500 },
    );
    expect(sends.filter((e) => e.fault === "server_error").length).toBeGreaterThan(0);
    const rows = await outboxRows(stack.pool, uid, null);
    expect(rows.some((r) => r.attempts > 1)).toBe(true);
    // Nothing failed for good and no row waits: the unknown outcomes were all resolved.
    expect(rows.filter((r) => r.state === "failed" || r.state === "claimed")).toEqual([]);
  }, 240_000);
});
