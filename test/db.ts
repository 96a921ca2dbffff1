/**
 * Databases for tests: `await freshMigratedDatabase()` gives the URL of a new database with every
 * migration applied (about 150 ms, so no template is kept); it is dropped when the test finishes, or by
 * `dispose` when called from beforeAll. `seedCampaign` fills one with a campaign and synthetic contacts.
 */
import { randomUUID } from "node:crypto";
import type { Pool } from "pg";
import { freshDatabase, type Disposable } from "./harness/fixtures.js";
import { runMigrations } from "../lib/db/migrate.js";

export async function freshMigratedDatabase(): Promise<Disposable<string>> {
  const database = await freshDatabase();
  await runMigrations(database.value);
  return database;
}

export interface SeededCampaign {
  uid: string;
  contactIds: number[];
  /** One mobile per contact, in contact order. */
  phoneIds: number[];
}

/** A campaign with `contacts` synthetic contacts (state pending), each with one sendable mobile. */
export async function seedCampaign(
  pool: Pool,
  options: { contacts?: number; namespace?: string } = {},
): Promise<SeededCampaign> {
  const uid = randomUUID();
  await pool.query("INSERT INTO campaigns (uid, namespace, name) VALUES ($1, $2, $3)", [
    uid,
    options.namespace ?? "test",
    `campaign-${uid.slice(0, 8)}`,
  ]);
  const { rows: contacts } = await pool.query<{ id: number }>(
    `INSERT INTO contacts (campaign_uid, source_row, name, dedupe_key)
     SELECT $1, n + 1, 'Contact ' || n, 'contact-' || n FROM generate_series(1, $2::int) AS n
     RETURNING id`,
    [uid, options.contacts ?? 0],
  );
  const contactIds = contacts.map((c) => c.id).sort((a, b) => a - b);
  const { rows: phones } = await pool.query<{ id: number; contact_id: number }>(
    `INSERT INTO phones (contact_id, campaign_uid, e164, raw, line_type, sendable, priority)
     SELECT id, $1, '+55859' || lpad((80000000 + id)::text, 8, '0'), 'raw', 'mobile', true, 1
     FROM unnest($2::bigint[]) AS id
     RETURNING id, contact_id`,
    [uid, contactIds],
  );
  const phoneIds = phones.sort((a, b) => a.contact_id - b.contact_id).map((p) => p.id);
  return { uid, contactIds, phoneIds };
}

/** A pending first message (outbox row, kind initial) to the `index`-th seeded contact; returns its id. */
export async function insertFirstMessage(
  pool: Pool,
  campaign: SeededCampaign,
  index: number,
): Promise<number> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step, body)
     VALUES ($1, $2, $3, 'initial', 0, 'Olá! Ainda tem interesse? 1 SIM / 2 NÃO') RETURNING id`,
    [campaign.uid, campaign.contactIds[index], campaign.phoneIds[index]],
  );
  return Number(rows[0]!.id);
}
