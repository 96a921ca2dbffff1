/**
 * The batched claim and record statements on a real PostgreSQL: a row is claimed once however many claims
 * of it a process makes at once, and a batch of records gives each row and its contact exactly the effect
 * the per-row transaction gave, and nothing to a row whose claim is another worker's.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { freshMigratedDatabase, seedCampaign, type SeededCampaign } from "../../test/db.js";
import { readCampaignCounts } from "../../lib/db/campaign-counts.js";
import { isClaimed } from "./outbox-store.js";
import { OutboxBatches } from "./outbox-batches.js";

let pool: pg.Pool;
let dispose: () => Promise<void>;
let campaign: SeededCampaign;

beforeAll(async () => {
  const db = await freshMigratedDatabase();
  dispose = db.dispose;
  pool = new pg.Pool({ connectionString: db.value, max: 4 });
  campaign = await seedCampaign(pool, { contacts: 6 });
  await pool.query("UPDATE contacts SET state = 'ready' WHERE campaign_uid = $1", [campaign.uid]);
});

afterAll(async () => {
  await pool?.end();
  await dispose?.();
});

async function row(index: number, kind: "initial" | "follow_up", step: number): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step, body)
     VALUES ($1, $2, $3, $4, $5, 'Olá') RETURNING id`,
    [campaign.uid, campaign.contactIds[index], campaign.phoneIds[index], kind, step],
  );
  return Number(rows[0]!.id);
}

describe("OutboxBatches", () => {
  it("claims a row once when the same process asks twice at once, and other rows in the same batch", async () => {
    const batches = new OutboxBatches({ pool, workerId: "worker-a" });
    const [a, b] = [await row(0, "initial", 0), await row(1, "initial", 0)];
    const results = await Promise.all([batches.claim(a), batches.claim(a), batches.claim(b)]);
    expect(results.map(isClaimed)).toEqual([true, false, true]);
    expect(results[1]).toEqual({ reason: "not_pending", state: "claimed" });
    const { rows } = await pool.query<{ attempts: number }>(
      "SELECT attempts FROM outbox WHERE id = ANY($1) ORDER BY id",
      [[a, b]],
    );
    expect(rows.map((r) => r.attempts)).toEqual([1, 1]);
  });

  it("records a batch: first messages and reminders with their contacts' effects, nothing for another worker's claim", async () => {
    const mine = new OutboxBatches({ pool, workerId: "worker-a" });
    const theirs = new OutboxBatches({ pool, workerId: "worker-b" });
    const initial = await row(2, "initial", 0);
    const reminder = await row(3, "follow_up", 2);
    const foreign = await row(4, "initial", 0);
    await pool.query("UPDATE contacts SET state = 'sent', follow_up_step = 1 WHERE id = $1", [
      campaign.contactIds[3],
    ]);
    for (const id of [initial, reminder]) expect(isClaimed(await mine.claim(id))).toBe(true);
    expect(isClaimed(await theirs.claim(foreign))).toBe(true);

    const sentAt = new Date("2026-12-04T12:00:00Z");
    const recorded = await Promise.all(
      [initial, reminder, foreign].map((outboxId, i) =>
        mine
          .recordSent({ outboxId, provider: "sandbox", providerMessageId: `m-${outboxId}`, sentAt })
          .then((ok) => [i, ok] as const),
      ),
    );
    expect(recorded).toEqual([
      [0, true],
      [1, true],
      [2, false],
    ]);

    const { rows: outbox } = await pool.query(
      "SELECT id, state, provider_message_id, sent_at FROM outbox WHERE id = ANY($1) ORDER BY id",
      [[initial, reminder, foreign]],
    );
    expect(outbox).toEqual([
      { id: String(initial), state: "sent", provider_message_id: `m-${initial}`, sent_at: sentAt },
      { id: String(reminder), state: "sent", provider_message_id: `m-${reminder}`, sent_at: sentAt },
      { id: String(foreign), state: "claimed", provider_message_id: null, sent_at: null },
    ]);
    const { rows: contacts } = await pool.query(
      `SELECT state, follow_up_step, first_contacted_at, last_contacted_at FROM contacts
       WHERE id = ANY($1) ORDER BY id`,
      [[campaign.contactIds[2], campaign.contactIds[3], campaign.contactIds[4]]],
    );
    expect(contacts).toEqual([
      { state: "sent", follow_up_step: 0, first_contacted_at: sentAt, last_contacted_at: sentAt },
      { state: "sent", follow_up_step: 2, first_contacted_at: null, last_contacted_at: sentAt },
      { state: "ready", follow_up_step: 0, first_contacted_at: null, last_contacted_at: null },
    ]);

    // The counters agree with the rows: claimed rows count as queued, sent ones as sent.
    const counts = await readCampaignCounts(pool, campaign.uid);
    const { rows: real } = await pool.query<{ queued: number; sent: number }>(
      `SELECT count(*) FILTER (WHERE state IN ('pending', 'claimed'))::int AS queued,
              count(*) FILTER (WHERE state = 'sent')::int AS sent
       FROM outbox WHERE campaign_uid = $1`,
      [campaign.uid],
    );
    expect({ queued: counts.queued, sent: counts.sent }).toEqual(real[0]);
  });
});
