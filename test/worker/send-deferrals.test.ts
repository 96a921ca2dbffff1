/**
 * The send path's retry budget counts failures, not waits. A send that is held back — a sender cooling down
 * after the provider throttled it, a rate limit, a suspended campaign — is not failing, however often it
 * is held back; one retryable failure afterwards (Evolution's "Connection Closed") must be retried, not
 * recorded as a send that gave up. Real PostgreSQL, Redis and sandbox; the send processor is called directly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import type { Redis } from "ioredis";
import { waitFor } from "../harness/wait.js";
import type { SandboxHandle } from "../sandbox/index.js";
import { processSend, SEND_RETRY, type SendDeps } from "../../worker/send/send-processor.js";
import { SENDER_KEY, startSendFixture, type SendFixture } from "./send-fixture.js";

let fixture: SendFixture;
let pool: pg.Pool;
let redis: Redis;
let sandbox: SandboxHandle;
let deps: SendDeps;
let prefix: string;

beforeAll(async () => {
  fixture = await startSendFixture({ contacts: 2, name: "defer" });
  ({ pool, redis, sandbox, deps, prefix } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

const firstMessage = (index: number) => fixture.firstMessage(index);

describe("waits do not use up a send's retries", () => {
  it("a send held back many times by a cool-down is still retried after one Connection Closed", async () => {
    const outboxId = await firstMessage(0);
    // The provider throttled the sender: every try during the cool-down is held back.
    await deps.limiter.coolDown(SENDER_KEY, 60_000);
    for (let i = 0; i < SEND_RETRY.maxAttempts + 2; i++) {
      await pool.query("UPDATE outbox SET not_before = NULL WHERE id = $1", [outboxId]);
      const outcome = await processSend(outboxId, deps);
      expect(outcome.result).not.toBe("failed");
      expect(outcome.result).not.toBe("sent");
    }
    await redis.del(`${prefix}:ratelimit:cool:${SENDER_KEY}`);

    // The cool-down is over; the next try meets a dropped WhatsApp session once.
    await sandbox.client.nextFault({ fault: "connection_closed", operation: "sendText" });
    await pool.query("UPDATE outbox SET not_before = NULL WHERE id = $1", [outboxId]);
    const failedOnce = await processSend(outboxId, deps);
    expect(failedOnce.result).toBe("later");

    // Its retry goes through: the patient gets the message, once.
    await pool.query("UPDATE outbox SET not_before = NULL WHERE id = $1", [outboxId]);
    const retried = await waitFor(
      async () => {
        const outcome = await processSend(outboxId, deps);
        return outcome.result === "sent" ? outcome : undefined;
      },
      { timeoutMs: 10_000, what: "the retry to send" },
    );
    expect(retried.result).toBe("sent");
    const received = await sandbox.client.receivedCounts();
    expect(received.totalMessages).toBe(1);
    expect(received.duplicates).toEqual([]);
  });

  it("still gives up after its retries fail", async () => {
    const outboxId = await firstMessage(1);
    await sandbox.client.nextFault({
      fault: "connection_closed",
      operation: "sendText",
      times: SEND_RETRY.maxAttempts,
    });
    const outcomes: string[] = [];
    for (let i = 0; i < SEND_RETRY.maxAttempts; i++) {
      await pool.query("UPDATE outbox SET not_before = NULL WHERE id = $1", [outboxId]);
      outcomes.push((await processSend(outboxId, deps)).result);
    }
    expect(outcomes.slice(0, -1).every((o) => o === "later")).toBe(true);
    expect(outcomes.at(-1)).toBe("failed");
    const { rows } = await pool.query("SELECT state, error_code FROM outbox WHERE id = $1", [outboxId]);
    expect(rows[0]).toMatchObject({ state: "failed" });
  });
});
