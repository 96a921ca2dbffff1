/**
 * The stale-claim rule on a real PostgreSQL, row by row: a send still claimed after its worker died is
 * recorded as sent when the provider echoed it (by address and text, or by correlation id), sent again only
 * when no echo came within the grace, left alone otherwise; and an echo that already belongs to another
 * message is never taken for this one.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pg from "pg";
import { freshMigratedDatabase, seedCampaign, type SeededCampaign } from "../db.js";
import { createLogger } from "../../lib/logger.js";
import { bodyFingerprint, resolveStaleClaims } from "../../worker/send/stale-claims.js";

const logger = createLogger({ component: "test", level: "silent" });
const OPTIONS = { staleAfterMs: 100_000, echoGraceMs: 300_000 };
let pool: pg.Pool;
let dispose: () => Promise<void>;
let campaign: SeededCampaign;

beforeAll(async () => {
  const db = await freshMigratedDatabase();
  dispose = db.dispose;
  pool = new pg.Pool({ connectionString: db.value, max: 4 });
  campaign = await seedCampaign(pool, { contacts: 12 });
});

afterAll(async () => {
  await pool?.end();
  await dispose?.();
});

let nextPhone = 0;

/** A claimed first message to a fresh phone, claimed `ageSeconds` ago by a worker that is gone. */
async function claimedRow(ageSeconds: number, body = `Olá ${nextPhone}`) {
  const i = nextPhone++;
  const phoneId = campaign.phoneIds[i]!;
  const contactId = campaign.contactIds[i]!;
  const { rows } = await pool.query<{ id: string; e164: string }>(
    `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step, state, body, claimed_by, claimed_at, attempts)
     VALUES ($1, $2, $3, 'initial', 0, 'claimed', $4, 'dead-worker', now() - make_interval(secs => $5), 1)
     RETURNING id, (SELECT e164 FROM phones WHERE id = $3)`,
    [campaign.uid, contactId, phoneId, body, ageSeconds],
  );
  return { id: Number(rows[0]!.id), e164: rows[0]!.e164, contactId, phoneId, body };
}

async function echo(options: {
  id: string;
  to?: string;
  body?: string;
  correlationId?: string;
  agoSeconds: number;
}): Promise<void> {
  await pool.query(
    `INSERT INTO outbound_echoes (provider, channel, provider_message_id, to_address, body_sha256, correlation_id, at)
     VALUES ('sandbox', 'hospital', $1, $2, $3, $4, now() - make_interval(secs => $5))`,
    [
      options.id,
      options.to ?? null,
      options.body ? bodyFingerprint(options.body) : null,
      options.correlationId ?? null,
      options.agoSeconds,
    ],
  );
}

const jid = (e164: string) => `${e164.slice(1)}@s.whatsapp.net`;

async function row(id: number) {
  const { rows } = await pool.query<{
    state: string;
    claimed_by: string | null;
    provider_message_id: string | null;
    contact_state: string;
  }>(
    `SELECT o.state, o.claimed_by, o.provider_message_id, c.state AS contact_state
     FROM outbox o JOIN contacts c ON c.id = o.contact_id WHERE o.id = $1`,
    [id],
  );
  return rows[0]!;
}

describe("resolving stale claims", () => {
  it("settles each stale row by the provider's word and leaves fresh claims alone", async () => {
    const echoed = await claimedRow(400);
    await echo({ id: "3EB0ECHO0001", to: jid(echoed.e164), body: echoed.body, agoSeconds: 399 });
    const correlated = await claimedRow(400);
    await echo({ id: "wamid.CORR1", correlationId: String(correlated.id), agoSeconds: 398 });
    const silent = await claimedRow(400);
    const recent = await claimedRow(200); // stale, but an echo may still come
    const fresh = await claimedRow(10); // a send in progress
    // An echo of the same text to the same phone from before this claim is an older message.
    const older = await claimedRow(400);
    await echo({ id: "3EB0OLDER001", to: jid(older.e164), body: older.body, agoSeconds: 1000 });

    const result = await resolveStaleClaims(pool, OPTIONS, logger);

    expect(await row(echoed.id)).toMatchObject({
      state: "sent",
      provider_message_id: "3EB0ECHO0001",
      contact_state: "sent",
    });
    expect(await row(correlated.id)).toMatchObject({ state: "sent", provider_message_id: "wamid.CORR1" });
    expect(await row(silent.id)).toMatchObject({
      state: "pending",
      claimed_by: null,
      provider_message_id: null,
    });
    expect(await row(older.id)).toMatchObject({ state: "pending", provider_message_id: null });
    expect(await row(recent.id)).toMatchObject({ state: "claimed", claimed_by: "dead-worker" });
    expect(await row(fresh.id)).toMatchObject({ state: "claimed", claimed_by: "dead-worker" });
    expect(result).toEqual({
      confirmedSent: 2,
      requeued: 2,
      waiting: 1,
      requeuedIds: expect.arrayContaining([silent.id, older.id]) as number[],
    });
  });

  it("never takes an echo that already belongs to another message, and still settles the rest", async () => {
    // The same text twice to one phone (e.g. two "not understood" answers): the first went out and was
    // recorded; the second was claimed and its worker died before sending.
    const first = await claimedRow(400, "Desculpe, não entendi.");
    await echo({ id: "3EB0DUP00001", to: jid(first.e164), body: first.body, agoSeconds: 399 });
    await pool.query(
      "UPDATE outbox SET state = 'sent', provider = 'sandbox', provider_message_id = '3EB0DUP00001' WHERE id = $1",
      [first.id],
    );
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step, state, body, claimed_by, claimed_at, attempts)
       VALUES ($1, $2, $3, 'follow_up', 1, 'claimed', $4, 'dead-worker', now() - interval '398 seconds', 1)
       RETURNING id`,
      [campaign.uid, first.contactId, first.phoneId, first.body],
    );
    const second = Number(rows[0]!.id);
    const another = await claimedRow(390);

    const result = await resolveStaleClaims(pool, OPTIONS, logger);

    expect(await row(second)).toMatchObject({ state: "pending", provider_message_id: null });
    expect(await row(first.id)).toMatchObject({ state: "sent", provider_message_id: "3EB0DUP00001" });
    expect(await row(another.id)).toMatchObject({ state: "pending" });
    expect(result.requeuedIds).toEqual(expect.arrayContaining([second, another.id]));
  });
});
