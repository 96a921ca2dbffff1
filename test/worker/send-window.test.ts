/**
 * A send job that runs late (after a worker outage, behind a backlog) still sends a first message only inside
 * the campaign's window: outside it the row goes back to pending with `not_before` at the next opening, the
 * job is told to wait until then, and no attempt is used. Real PostgreSQL, Redis and sandbox; the send
 * processor is called directly with a clock.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type pg from "pg";
import type { SandboxHandle } from "../sandbox/index.js";
import type { SeededCampaign } from "../db.js";
import { processSend, type SendDeps } from "../../worker/send/send-processor.js";
import { startSendFixture, type SendFixture } from "./send-fixture.js";

let fixture: SendFixture;
let pool: pg.Pool;
let sandbox: SandboxHandle;
let campaign: SeededCampaign;
let base: Omit<SendDeps, "now">;

/** 08:00 to 18:00 in Fortaleza (UTC-3 all year), Monday to Friday. */
const WINDOW = { timeZone: "America/Fortaleza", start: "08:00", end: "18:00", daysOfWeek: [1, 2, 3, 4, 5] };

beforeAll(async () => {
  fixture = await startSendFixture({ contacts: 3, name: "window", sendWindow: WINDOW });
  ({ pool, sandbox, campaign, deps: base } = fixture);
});

afterAll(async () => {
  await fixture?.close();
});

const firstMessage = (index: number) => fixture.firstMessage(index);

async function outboxRow(id: number) {
  const { rows } = await pool.query<{ state: string; not_before: Date | null; attempts: number }>(
    "SELECT state, not_before, attempts FROM outbox WHERE id = $1",
    [id],
  );
  return rows[0]!;
}

const at = (iso: string) => () => new Date(iso);

describe("a late send job respects the campaign's window", () => {
  it("at 03:00 local holds the first message back until 08:00, using no attempt, and sends it then", async () => {
    const id = await firstMessage(0);
    // Friday 2026-12-04 03:00 in Fortaleza.
    const night = await processSend(id, { ...base, now: at("2026-12-04T06:00:00Z") });
    expect(night).toEqual({ result: "deferred", delayMs: 5 * 3600_000, why: "outside the send window" });
    expect(await outboxRow(id)).toEqual({
      state: "pending",
      not_before: new Date("2026-12-04T11:00:00Z"),
      attempts: 0,
    });
    expect((await sandbox.client.receivedCounts()).totalMessages).toBe(0);

    // The job comes back when the window has opened (the database's own clock is past not_before).
    const morning = await processSend(id, { ...base, now: at("2026-12-04T11:00:01Z") });
    expect(morning.result).toBe("sent");
    expect(await outboxRow(id)).toMatchObject({ state: "sent", attempts: 1 });
    const { rows } = await pool.query("SELECT state FROM contacts WHERE id = $1", [campaign.contactIds[0]]);
    expect(rows[0]).toEqual({ state: "sent" });
    expect((await sandbox.client.receivedCounts()).totalMessages).toBe(1);
  });

  it("after Friday's window closes, waits for Monday's opening (days of the week)", async () => {
    const id = await firstMessage(1);
    // Friday 18:30 local; the window is closed on Saturday and Sunday.
    const outcome = await processSend(id, { ...base, now: at("2026-12-04T21:30:00Z") });
    const monday = new Date("2026-12-07T11:00:00Z");
    expect(outcome).toEqual({
      result: "deferred",
      delayMs: monday.getTime() - Date.parse("2026-12-04T21:30:00Z"),
      why: "outside the send window",
    });
    expect(await outboxRow(id)).toEqual({ state: "pending", not_before: monday, attempts: 0 });
    expect((await sandbox.client.receivedCounts()).totalMessages).toBe(1);
  });

  it("inside the window sends at once", async () => {
    const id = await firstMessage(2);
    // Wednesday 17:59 local.
    const outcome = await processSend(id, { ...base, now: at("2026-12-02T20:59:00Z") });
    expect(outcome.result).toBe("sent");
    expect((await sandbox.client.receivedCounts()).totalMessages).toBe(2);
  });
});
