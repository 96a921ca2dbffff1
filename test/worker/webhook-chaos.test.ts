/**
 * Every webhook delivered twice and out of order (sandbox `duplicateRate: 1`, `reorder` over a window far
 * longer than the gaps between a message's statuses): each patient's reply is stored and applied once and
 * answered once, and no outbox row's status ever moves backwards (a test-only trigger records every state
 * change the database makes).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { waitFor } from "../harness/wait.js";
import { startLocalStack, syntheticList, uniqueName, type LocalStack } from "../e2e/stack.js";
import { expectExactlyOnce, outboxRows, syntheticPhones } from "./harness.js";
import {
  recordOutboxStateChanges,
  stateHistory,
  stateMovesBackwards,
  waitForSandboxIdle,
} from "./observe.js";

const PATIENTS = 20;
const OFFSET = 500;
let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({
    sandbox: {
      patients: {
        shares: { yes: 1, no: 0, unknown: 0, optOut: 0, freeText: 0, silence: 0 },
        replyDelayMs: { min: 100, max: 500 },
      },
      // Statuses of one message are 2 / 10 / 30 ms apart (world delays × 0.01); each webhook gets up to
      // 1.5 s more, drawn on its own, and is delivered twice.
      webhooks: { duplicateRate: 1, reorder: true, reorderWindowMs: 150_000 },
    },
  });
  await recordOutboxStateChanges(stack.pool);
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe("webhooks delivered twice and out of order", () => {
  it("apply each reply once, answer once, and never move a status backwards", async () => {
    const name = uniqueName("chaos");
    const uid = await stack.createCampaign(name, syntheticList(PATIENTS, OFFSET));
    const phones = syntheticPhones(PATIENTS, OFFSET);

    await waitFor(
      async () => {
        const { rows } = await stack.pool.query<{ n: number }>(
          "SELECT count(*)::int AS n FROM contacts WHERE campaign_uid = $1 AND state = 'confirmed'",
          [uid],
        );
        return rows[0]!.n === PATIENTS;
      },
      { timeoutMs: 90_000, what: "every patient's SIM to be applied", intervalMs: 250 },
    );
    // Every answer went out and every webhook about it (statuses, duplicates) was delivered.
    await waitFor(async () => (await outboxRows(stack.pool, uid, "reply")).length === PATIENTS, {
      timeoutMs: 30_000,
      what: "one answer per patient",
    });
    await waitFor(async () => (await outboxRows(stack.pool, uid, null)).every((r) => r.state === "read"), {
      timeoutMs: 60_000,
      what: "every message to be read",
      intervalMs: 250,
    });
    await waitForSandboxIdle(stack.sandbox.client, 60_000);

    // The chaos happened: every webhook went twice, and some "read" came before its "delivered".
    const log = await stack.sandbox.client.webhookLog({ limit: 10_000, provider: "evolution" });
    expect(log.entries.filter((e) => e.duplicate).length).toBeGreaterThanOrEqual(PATIENTS * 4);
    const { rows: overtaken } = await stack.pool.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM delivery_events r
       JOIN delivery_events d ON d.provider = r.provider AND d.provider_message_id = r.provider_message_id
         AND d.status = 'delivered'
       WHERE r.status = 'read' AND r.received_at < d.received_at`,
    );
    expect(overtaken[0]!.n).toBeGreaterThan(0);

    // Each patient: one first message and one answer, each once.
    await expectExactlyOnce(stack.sandbox.client, phones, 2);
    // Each reply stored once, applied once, answered once.
    const { rows: inbound } = await stack.pool.query<{ n: number; processed: number }>(
      `SELECT count(*)::int AS n, count(processed_at)::int AS processed FROM inbound_messages
       WHERE campaign_uid = $1`,
      [uid],
    );
    expect(inbound[0]).toEqual({ n: PATIENTS, processed: PATIENTS });
    const { rows: confirmations } = await stack.pool.query<{ contact: string; n: number }>(
      `SELECT entity_id AS contact, count(*)::int AS n FROM audit_log
       WHERE campaign_uid = $1 AND entity = 'contact' AND to_state = 'confirmed' GROUP BY entity_id`,
      [uid],
    );
    expect(confirmations).toHaveLength(PATIENTS);
    expect(confirmations.every((c) => c.n === 1)).toBe(true);
    const answers = await outboxRows(stack.pool, uid, "reply");
    expect(new Set(answers.map((a) => a.contact_id)).size).toBe(PATIENTS);

    // No state change the database made ever went backwards, and each row's history ends at "read".
    expect(await stateMovesBackwards(stack.pool)).toEqual([]);
    const history = await stateHistory(stack.pool);
    expect(history.size).toBe(2 * PATIENTS);
    for (const states of history.values()) expect(states.at(-1)).toBe("read");
  }, 240_000);
});
