import type { Pool } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshMigratedDatabase, seedCampaign, type SeededCampaign } from "../../test/db.js";
import { createPool } from "./pool.js";

let pool: Pool;
let dispose: () => Promise<void>;
let campaign: SeededCampaign;
let nextContact = 0;

beforeAll(async () => {
  const db = await freshMigratedDatabase();
  dispose = db.dispose;
  pool = createPool({ connectionString: db.value, max: 6 });
  campaign = await seedCampaign(pool, { contacts: 200 });
});

afterAll(async () => {
  await pool.end();
  await dispose();
});

/** A new outbox row for the next seeded contact, in state `claimed` as a worker would hold it. */
async function claimedRow(): Promise<number> {
  const i = nextContact++;
  const { rows } = await pool.query<{ id: number }>(
    `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step, state, claimed_by, claimed_at)
     VALUES ($1, $2, $3, 'initial', 0, 'claimed', 'test', now()) RETURNING id`,
    [campaign.uid, campaign.contactIds[i], campaign.phoneIds[i]],
  );
  return rows[0]!.id;
}

async function markSent(id: number, messageId: string): Promise<void> {
  await pool.query(
    "UPDATE outbox SET state = 'sent', provider = 'sandbox', provider_message_id = $2, sent_at = now() WHERE id = $1",
    [id, messageId],
  );
}

async function event(messageId: string, status: string, at = "2026-01-01T12:00:00Z", errorCode?: string) {
  await pool.query(
    `INSERT INTO delivery_events (provider, provider_message_id, status, occurred_at, error_code)
     VALUES ('sandbox', $1, $2, $3, $4) ON CONFLICT DO NOTHING`,
    [messageId, status, at, errorCode ?? null],
  );
}

async function row(id: number) {
  const { rows } = await pool.query<{
    state: string;
    delivered_at: Date | null;
    read_at: Date | null;
    failed_at: Date | null;
    error_code: string | null;
  }>("SELECT state, delivered_at, read_at, failed_at, error_code FROM outbox WHERE id = $1", [id]);
  return rows[0]!;
}

describe("outbox_merge_state", () => {
  it.each([
    ["pending", "claimed", "claimed"],
    ["claimed", "pending", "pending"],
    ["claimed", "sent", "sent"],
    ["uncertain", "sent", "sent"],
    ["sent", "delivered", "delivered"],
    ["delivered", "read", "read"],
    ["read", "delivered", "read"],
    ["delivered", "sent", "delivered"],
    ["read", "sent", "read"],
    ["sent", "failed", "failed"],
    ["delivered", "failed", "delivered"],
    ["read", "failed", "read"],
    ["failed", "sent", "failed"],
    ["failed", "delivered", "delivered"],
    ["failed", "read", "read"],
    ["failed", "pending", "pending"],
    ["sent", "pending", "sent"],
    ["delivered", "claimed", "delivered"],
    ["sent", "cancelled", "sent"],
    ["pending", "cancelled", "cancelled"],
  ])("%s then %s gives %s", async (current, proposed, expected) => {
    const { rows } = await pool.query<{ state: string }>("SELECT outbox_merge_state($1, $2) AS state", [
      current,
      proposed,
    ]);
    expect(rows[0]!.state).toBe(expected);
  });
});

describe("delivery events on the outbox", () => {
  it("moves a sent message forward and never back, whatever order the events arrive in", async () => {
    const id = await claimedRow();
    await markSent(id, "m-forward");
    await event("m-forward", "read", "2026-01-01T12:02:00Z");
    await event("m-forward", "delivered", "2026-01-01T12:01:00Z");
    await event("m-forward", "sent", "2026-01-01T12:00:00Z");
    expect(await row(id)).toMatchObject({
      state: "read",
      read_at: new Date("2026-01-01T12:02:00Z"),
      delivered_at: new Date("2026-01-01T12:01:00Z"),
    });
  });

  it("keeps a worker's late 'sent' from undoing a delivery already applied", async () => {
    const id = await claimedRow();
    await markSent(id, "m-late");
    await event("m-late", "delivered");
    await pool.query("UPDATE outbox SET state = 'sent' WHERE id = $1", [id]);
    expect((await row(id)).state).toBe("delivered");
  });

  it("applies events that arrived before the worker recorded the message id", async () => {
    const id = await claimedRow();
    await event("m-early", "delivered", "2026-01-01T12:01:00Z");
    await event("m-early", "sent", "2026-01-01T12:00:00Z");
    await markSent(id, "m-early");
    expect(await row(id)).toMatchObject({
      state: "delivered",
      delivered_at: new Date("2026-01-01T12:01:00Z"),
    });
  });

  it("records a failure of a sent message with its code, but not of a delivered one", async () => {
    const failing = await claimedRow();
    await markSent(failing, "m-fail");
    await event("m-fail", "failed", "2026-01-01T12:03:00Z", "131026");
    expect(await row(failing)).toMatchObject({
      state: "failed",
      failed_at: new Date("2026-01-01T12:03:00Z"),
      error_code: "131026",
    });

    const delivered = await claimedRow();
    await markSent(delivered, "m-delivered-then-failed");
    await event("m-delivered-then-failed", "delivered");
    await event("m-delivered-then-failed", "failed", "2026-01-01T12:05:00Z", "131047");
    expect(await row(delivered)).toMatchObject({ state: "delivered", failed_at: null, error_code: null });
  });

  it("ignores a duplicate event", async () => {
    const id = await claimedRow();
    await markSent(id, "m-dup");
    await event("m-dup", "delivered", "2026-01-01T12:01:00Z");
    await event("m-dup", "delivered", "2026-01-01T12:09:00Z");
    const { rows } = await pool.query("SELECT * FROM delivery_events WHERE provider_message_id = 'm-dup'");
    expect(rows).toHaveLength(1);
    expect((await row(id)).delivered_at).toEqual(new Date("2026-01-01T12:01:00Z"));
  });

  it("never loses an event that races with the worker recording the message id", async () => {
    const ids: number[] = [];
    for (let i = 0; i < 40; i++) ids.push(await claimedRow());
    await Promise.all(
      ids.map(async (id, i) => {
        const messageId = `m-race-${i}`;
        // Both in explicit transactions that overlap: whichever commits second must see the other.
        const link = (async () => {
          const client = await pool.connect();
          try {
            await client.query("BEGIN");
            await client.query(
              "UPDATE outbox SET state = 'sent', provider = 'sandbox', provider_message_id = $2 WHERE id = $1",
              [id, messageId],
            );
            await client.query("COMMIT");
          } finally {
            client.release();
          }
        })();
        const deliver = event(messageId, "delivered");
        await Promise.all([link, deliver]);
      }),
    );
    const { rows } = await pool.query<{ state: string; n: number }>(
      "SELECT state, count(*)::int AS n FROM outbox WHERE id = ANY($1) GROUP BY state",
      [ids],
    );
    expect(rows).toEqual([{ state: "delivered", n: ids.length }]);
  });

  it("allows one row per contact, phone and step, and one reply per inbound message and purpose", async () => {
    const id = await claimedRow();
    const { rows } = await pool.query("SELECT campaign_uid, contact_id, phone_id FROM outbox WHERE id = $1", [
      id,
    ]);
    const r = rows[0] as { campaign_uid: string; contact_id: number; phone_id: number };
    const again = await pool.query(
      `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step) VALUES ($1, $2, $3, 'initial', 0)
       ON CONFLICT (campaign_uid, contact_id, phone_id, step) DO NOTHING`,
      [r.campaign_uid, r.contact_id, r.phone_id],
    );
    expect(again.rowCount).toBe(0);

    const { rows: inbound } = await pool.query<{ id: number }>(
      `INSERT INTO inbound_messages (provider, instance, provider_message_id, from_address, received_at)
       VALUES ('sandbox', 'i1', 'in-1', 'addr', now()) RETURNING id`,
    );
    const reply = () =>
      pool.query(
        `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, inbound_id, purpose)
         VALUES ($1, $2, $3, 'reply', $4, 'confirmation') ON CONFLICT (inbound_id, purpose) DO NOTHING`,
        [r.campaign_uid, r.contact_id, r.phone_id, inbound[0]!.id],
      );
    expect((await reply()).rowCount).toBe(1);
    expect((await reply()).rowCount).toBe(0);
    await expect(
      pool.query(
        `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step) VALUES ($1, $2, $3, 'reply', 1)`,
        [r.campaign_uid, r.contact_id, r.phone_id],
      ),
    ).rejects.toThrow(/outbox_kind_shape_check/);
  });
});
