import type { Pool } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freshMigratedDatabase, seedCampaign } from "../../test/db.js";
import { setAuditContext } from "./audit.js";
import {
  incrementDailySends,
  readCampaignCounts,
  readDailySends,
  type CampaignCounts,
} from "./campaign-counts.js";
import { createPool, withTransaction } from "./pool.js";
import { CONTACT_STATES, OUTBOX_STATES, WA_STATUSES } from "./states.js";

let pool: Pool;
let dispose: () => Promise<void>;

beforeAll(async () => {
  const db = await freshMigratedDatabase();
  dispose = db.dispose;
  pool = createPool({ connectionString: db.value, max: 12 });
});

afterAll(async () => {
  await pool.end();
  await dispose();
});

/** The same counts computed the slow way, straight from the tables. */
async function countedFromTables(campaignUid: string) {
  const one = async (sql: string) => Number((await pool.query(sql, [campaignUid])).rows[0].n);
  const byState = await pool.query<{ state: string; n: number }>(
    "SELECT state, count(*)::int AS n FROM contacts WHERE campaign_uid = $1 GROUP BY state",
    [campaignUid],
  );
  const byKindState = await pool.query<{ kind: string; state: string; n: number }>(
    "SELECT kind, state, count(*)::int AS n FROM outbox WHERE campaign_uid = $1 GROUP BY kind, state",
    [campaignUid],
  );
  const contactsByState = Object.fromEntries(CONTACT_STATES.map((s) => [s, 0]));
  for (const r of byState.rows) contactsByState[r.state] = r.n;
  const outbox = (kind: string, states: string[]) =>
    byKindState.rows
      .filter((r) => r.kind === kind && states.includes(r.state))
      .reduce((sum, r) => sum + r.n, 0);
  return {
    contacts: await one("SELECT count(*) AS n FROM contacts WHERE campaign_uid = $1"),
    phones: await one("SELECT count(*) AS n FROM phones WHERE campaign_uid = $1"),
    valid: await one("SELECT count(*) AS n FROM phones WHERE campaign_uid = $1 AND wa_status = 'registered'"),
    invalid: await one(
      "SELECT count(*) AS n FROM phones WHERE campaign_uid = $1 AND wa_status = 'not_registered'",
    ),
    notSendable: await one("SELECT count(*) AS n FROM phones WHERE campaign_uid = $1 AND NOT sendable"),
    replied: await one(
      "SELECT count(*) AS n FROM contacts WHERE campaign_uid = $1 AND replied_at IS NOT NULL",
    ),
    rejectedRows: await one("SELECT count(*) AS n FROM import_rejections WHERE campaign_uid = $1"),
    contactsByState,
    initial: {
      queued: outbox("initial", ["pending", "claimed"]),
      sent: outbox("initial", ["sent", "delivered", "read"]),
      delivered: outbox("initial", ["delivered", "read"]),
      read: outbox("initial", ["read"]),
      failed: outbox("initial", ["failed"]),
      uncertain: outbox("initial", ["uncertain"]),
      cancelled: outbox("initial", ["cancelled"]),
    },
  };
}

function comparable(counts: CampaignCounts) {
  return {
    contacts: counts.contacts,
    phones: counts.phones,
    valid: counts.valid,
    invalid: counts.invalid,
    notSendable: counts.notSendable,
    replied: counts.replied,
    rejectedRows: counts.rejectedRows,
    contactsByState: counts.contactsByState,
    initial: counts.messagesByKind.initial,
  };
}

/** A small deterministic random generator, so a failure can be replayed. */
function random(seed: number) {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

async function addOutboxRows(campaignUid: string) {
  await pool.query(
    `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step)
     SELECT campaign_uid, contact_id, id, 'initial', 0 FROM phones WHERE campaign_uid = $1`,
    [campaignUid],
  );
}

describe("campaign counters", () => {
  it("count contacts, phones, messages and rejected rows as they are written", async () => {
    const campaign = await seedCampaign(pool, { contacts: 30 });
    await addOutboxRows(campaign.uid);
    await pool.query("UPDATE contacts SET state = 'confirmed', replied_at = now() WHERE id = ANY($1)", [
      campaign.contactIds.slice(0, 5),
    ]);
    await pool.query("UPDATE phones SET wa_status = 'registered' WHERE id = ANY($1)", [
      campaign.phoneIds.slice(0, 20),
    ]);
    await pool.query("UPDATE phones SET wa_status = 'not_registered' WHERE id = ANY($1)", [
      campaign.phoneIds.slice(20),
    ]);
    await pool.query("UPDATE outbox SET state = 'sent' WHERE phone_id = ANY($1)", [
      campaign.phoneIds.slice(0, 10),
    ]);
    await pool.query("DELETE FROM contacts WHERE id = $1", [campaign.contactIds[29]]);
    const { rows } = await pool.query<{ id: number }>(
      "INSERT INTO imports (campaign_uid, source, format) VALUES ($1, 'test', 'csv') RETURNING id",
      [campaign.uid],
    );
    await pool.query(
      `INSERT INTO import_rejections (campaign_uid, import_id, source_row, reason_code, reason, raw)
       SELECT $1, $2, n, 'EMPTY_NAME', 'no name', '{}' FROM generate_series(2, 4) AS n`,
      [campaign.uid, rows[0]!.id],
    );

    const counts = await readCampaignCounts(pool, campaign.uid);
    expect(counts).toMatchObject({
      contacts: 29,
      phones: 29,
      valid: 20,
      invalid: 9,
      unchecked: 0,
      confirmed: 5,
      replied: 5,
      rejectedRows: 3,
      queued: 19,
      sent: 10,
      sentToday: null,
    });
    expect(comparable(counts)).toEqual(await countedFromTables(campaign.uid));
  });

  it("stay exact under concurrent transactions, rollbacks and reads", async () => {
    const campaign = await seedCampaign(pool, { contacts: 400 });
    const other = await seedCampaign(pool, { contacts: 50 });
    await addOutboxRows(campaign.uid);
    await addOutboxRows(other.uid);

    const worker = async (seed: number) => {
      const next = random(seed);
      const pick = <T>(list: readonly T[]) => list[Math.floor(next() * list.length)]!;
      for (let i = 0; i < 40; i++) {
        const contactIndex = Math.floor(next() * campaign.contactIds.length);
        const rollBack = next() < 0.2;
        await withTransaction(pool, async (client) => {
          await client.query(
            "UPDATE contacts SET state = $2, replied_at = CASE WHEN $3 THEN now() END WHERE id = $1",
            [campaign.contactIds[contactIndex], pick(CONTACT_STATES), next() < 0.5],
          );
          await client.query("UPDATE phones SET wa_status = $2 WHERE id = $1", [
            campaign.phoneIds[contactIndex],
            pick(WA_STATUSES),
          ]);
          await client.query("UPDATE outbox SET state = $2 WHERE phone_id = $1", [
            campaign.phoneIds[contactIndex],
            pick(OUTBOX_STATES),
          ]);
          if (rollBack) throw new Error("roll back");
        }).catch((err: unknown) => {
          if (!(err instanceof Error) || err.message !== "roll back") throw err;
        });
        if (next() < 0.1) {
          // A bulk statement over many rows, as validation does (its own transaction, so it cannot
          // deadlock with the row-by-row ones).
          const from = Math.floor(next() * 300);
          await pool.query("UPDATE contacts SET state = $2 WHERE id = ANY($1)", [
            campaign.contactIds.slice(from, from + 100),
            pick(CONTACT_STATES),
          ]);
        }
        if (next() < 0.2) await readCampaignCounts(pool, campaign.uid);
      }
    };
    await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => worker(seed)));

    expect(comparable(await readCampaignCounts(pool, campaign.uid))).toEqual(
      await countedFromTables(campaign.uid),
    );
    expect(comparable(await readCampaignCounts(pool, other.uid))).toEqual(await countedFromTables(other.uid));
  });

  it("go away with their campaign, and deleting a campaign is not blocked by them", async () => {
    const campaign = await seedCampaign(pool, { contacts: 10 });
    await addOutboxRows(campaign.uid);
    await readCampaignCounts(pool, campaign.uid);
    await pool.query("UPDATE contacts SET state = 'ready' WHERE campaign_uid = $1", [campaign.uid]);
    await pool.query("DELETE FROM campaigns WHERE uid = $1", [campaign.uid]);
    const left = await pool.query(
      `SELECT (SELECT count(*) FROM campaign_counts WHERE campaign_uid = $1)
            + (SELECT count(*) FROM campaign_count_deltas WHERE campaign_uid = $1) AS n`,
      [campaign.uid],
    );
    expect(Number(left.rows[0].n)).toBe(0);
  });
});

describe("daily sends", () => {
  it("add up per campaign and local date", async () => {
    const campaign = await seedCampaign(pool);
    expect(await readDailySends(pool, campaign.uid, "2026-03-01")).toBe(0);
    await Promise.all(
      Array.from({ length: 20 }, () => incrementDailySends(pool, campaign.uid, "2026-03-01")),
    );
    expect(await incrementDailySends(pool, campaign.uid, "2026-03-02", 3)).toBe(3);
    expect(await readDailySends(pool, campaign.uid, "2026-03-01")).toBe(20);
    const counts = await readCampaignCounts(pool, campaign.uid, { localDate: "2026-03-02" });
    expect(counts.sentToday).toBe(3);
  });
});

describe("audit trail", () => {
  it("records each state change with the transaction's actor and reason", async () => {
    const campaign = await seedCampaign(pool, { contacts: 2 });
    const [first, second] = campaign.contactIds;
    await withTransaction(pool, async (client) => {
      await setAuditContext(client, { actor: "worker:reply", reason: "reply SIM" });
      await client.query("UPDATE contacts SET state = 'confirmed' WHERE id = $1", [first]);
      await client.query("UPDATE contacts SET follow_up_step = 1 WHERE id = $1", [second]);
    });
    await pool.query("UPDATE campaigns SET state = 'cancelled' WHERE uid = $1", [campaign.uid]);
    const { rows } = await pool.query(
      "SELECT entity, entity_id, from_state, to_state, actor, reason FROM audit_log WHERE campaign_uid = $1 ORDER BY id",
      [campaign.uid],
    );
    expect(rows).toEqual([
      {
        entity: "contact",
        entity_id: String(first),
        from_state: "pending",
        to_state: "confirmed",
        actor: "worker:reply",
        reason: "reply SIM",
      },
      {
        entity: "campaign",
        entity_id: campaign.uid,
        from_state: "active",
        to_state: "cancelled",
        actor: "postgres",
        reason: null,
      },
    ]);
  });
});

describe("campaigns", () => {
  it("keep their first start time when started again", async () => {
    const campaign = await seedCampaign(pool);
    await pool.query("UPDATE campaigns SET first_started_at = '2026-01-01T08:00:00Z' WHERE uid = $1", [
      campaign.uid,
    ]);
    await pool.query("UPDATE campaigns SET first_started_at = '2026-02-01T08:00:00Z' WHERE uid = $1", [
      campaign.uid,
    ]);
    const { rows } = await pool.query("SELECT first_started_at FROM campaigns WHERE uid = $1", [
      campaign.uid,
    ]);
    expect(rows[0].first_started_at).toEqual(new Date("2026-01-01T08:00:00Z"));
  });
});
