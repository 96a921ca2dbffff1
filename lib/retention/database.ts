/**
 * The data-retention policy in PostgreSQL (docs/operations.md, "Data retention"):
 * - transient provider records (outbound_echoes, delivery_events) older than 30 days are deleted;
 * - campaigns completed or cancelled more than `retentionDays` ago are anonymised, one transaction per
 *   campaign: names, birth dates, procedures, list fields, phone numbers, reply texts, message bodies and
 *   rejected rows' copies go; the campaign's row, every state, time and count stay (statistics and the
 *   audit trail keep working). An audit_log row marks the campaign as done;
 * - inbound messages that never matched a campaign, and lists stored with `busca-ativa import` that no
 *   active campaign uses, are deleted after `retentionDays`;
 * - opt-outs are kept: they are the patient's request not to be messaged again.
 */
import type { Pool } from "pg";
import { withTransaction, type Queryable } from "../db/pool.js";

export const TRANSIENT_RETENTION_DAYS = 30;
/** audit_log.reason of the row that marks a campaign as anonymised. */
export const ANONYMISED_MARKER = "retention: patient data anonymised";
/** What an anonymised contact's name becomes (the column may not be empty). */
export const ANONYMISED_NAME = "Anonimizado";

const DAY_MS = 86_400_000;

export interface RetentionOptions {
  pool: Pool;
  now: Date;
  retentionDays: number;
  dryRun: boolean;
  /** Rows deleted per statement for the transient tables; default 5000. */
  batchSize?: number;
}

export interface AnonymisedCampaign {
  uid: string;
  namespace: string;
  name: string;
  state: string;
  finishedAt: string;
  contacts: number;
  phones: number;
  inboundMessages: number;
  outboxRows: number;
  rejectedRows: number;
}

export interface RetentionResult {
  outboundEchoes: number;
  deliveryEvents: number;
  unmatchedInboundMessages: number;
  patientLists: number;
  campaigns: AnonymisedCampaign[];
}

export async function applyRetention(options: RetentionOptions): Promise<RetentionResult> {
  const { pool, dryRun } = options;
  const batch = options.batchSize ?? 5000;
  const transientCutoff = new Date(options.now.getTime() - TRANSIENT_RETENTION_DAYS * DAY_MS);
  const cutoff = new Date(options.now.getTime() - options.retentionDays * DAY_MS);

  const outboundEchoes = await deleteOlder(
    pool,
    "outbound_echoes",
    "received_at",
    transientCutoff,
    batch,
    dryRun,
  );
  const deliveryEvents = await deleteOlder(
    pool,
    "delivery_events",
    "received_at",
    transientCutoff,
    batch,
    dryRun,
  );
  const unmatchedInboundMessages = await deleteOlder(
    pool,
    "inbound_messages",
    "received_at",
    cutoff,
    batch,
    dryRun,
    "campaign_uid IS NULL",
  );
  const patientLists = await deleteUnusedLists(pool, cutoff, dryRun);

  const campaigns: AnonymisedCampaign[] = [];
  for (const c of await campaignsToAnonymise(pool, cutoff)) {
    const counts = dryRun
      ? await countPatientRows(pool, c.uid)
      : await anonymiseCampaign(pool, c.uid, c.state);
    campaigns.push({ ...c, ...counts });
  }
  return { outboundEchoes, deliveryEvents, unmatchedInboundMessages, patientLists, campaigns };
}

type TransientTable = "outbound_echoes" | "delivery_events" | "inbound_messages";

async function deleteOlder(
  pool: Pool,
  table: TransientTable,
  column: "received_at",
  before: Date,
  batch: number,
  dryRun: boolean,
  extraCondition = "true",
): Promise<number> {
  const where = `${column} < $1 AND ${extraCondition}`;
  if (dryRun) {
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table} WHERE ${where}`, [
      before,
    ]);
    return Number(rows[0]?.n ?? 0);
  }
  let total = 0;
  for (;;) {
    const { rowCount } = await pool.query(
      `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} WHERE ${where} ORDER BY id LIMIT $2)`,
      [before, batch],
    );
    total += rowCount ?? 0;
    if ((rowCount ?? 0) < batch) return total;
  }
}

async function deleteUnusedLists(pool: Pool, before: Date, dryRun: boolean): Promise<number> {
  const where = `pl.imported_at < $1 AND NOT EXISTS (
      SELECT 1 FROM campaigns c WHERE c.namespace = pl.namespace AND c.state = 'active'
        AND c.spec -> 'audience' -> 'listRef' ->> 'name' = pl.name)`;
  if (dryRun) {
    const { rows } = await pool.query<{ n: string }>(
      `SELECT count(*) AS n FROM patient_lists pl WHERE ${where}`,
      [before],
    );
    return Number(rows[0]?.n ?? 0);
  }
  const { rowCount } = await pool.query(`DELETE FROM patient_lists pl WHERE ${where}`, [before]);
  return rowCount ?? 0;
}

async function campaignsToAnonymise(
  pool: Pool,
  before: Date,
): Promise<Pick<AnonymisedCampaign, "uid" | "namespace" | "name" | "state" | "finishedAt">[]> {
  const { rows } = await pool.query<{
    uid: string;
    namespace: string;
    name: string;
    state: string;
    finished_at: Date;
  }>(
    `SELECT c.uid, c.namespace, c.name, c.state,
       COALESCE(c.cancelled_at, c.completed_at, c.updated_at) AS finished_at
     FROM campaigns c
     WHERE c.state IN ('completed', 'cancelled')
       AND COALESCE(c.cancelled_at, c.completed_at, c.updated_at) < $1
       AND NOT EXISTS (SELECT 1 FROM audit_log a
                       WHERE a.campaign_uid = c.uid AND a.entity = 'campaign' AND a.reason = $2)
     ORDER BY finished_at, c.uid`,
    [before, ANONYMISED_MARKER],
  );
  return rows.map((r) => ({
    uid: r.uid,
    namespace: r.namespace,
    name: r.name,
    state: r.state,
    finishedAt: r.finished_at.toISOString(),
  }));
}

type PatientRowCounts = Pick<
  AnonymisedCampaign,
  "contacts" | "phones" | "inboundMessages" | "outboxRows" | "rejectedRows"
>;

async function countPatientRows(db: Queryable, uid: string): Promise<PatientRowCounts> {
  const { rows } = await db.query<Record<string, string>>(
    `SELECT
       (SELECT count(*) FROM contacts WHERE campaign_uid = $1) AS contacts,
       (SELECT count(*) FROM phones WHERE campaign_uid = $1) AS phones,
       (SELECT count(*) FROM inbound_messages WHERE campaign_uid = $1) AS inbound,
       (SELECT count(*) FROM outbox WHERE campaign_uid = $1) AS outbox,
       (SELECT count(*) FROM import_rejections WHERE campaign_uid = $1) AS rejections`,
    [uid],
  );
  const r = rows[0] ?? {};
  return {
    contacts: Number(r.contacts ?? 0),
    phones: Number(r.phones ?? 0),
    inboundMessages: Number(r.inbound ?? 0),
    outboxRows: Number(r.outbox ?? 0),
    rejectedRows: Number(r.rejections ?? 0),
  };
}

/**
 * Anonymises one campaign's patient data in one transaction (all or nothing). Phone numbers become
 * `+999` numbers (a country code that is not assigned) built from the row id, so the format check and
 * the per-contact uniqueness still hold and no real number can match them again.
 */
async function anonymiseCampaign(pool: Pool, uid: string, state: string): Promise<PatientRowCounts> {
  return withTransaction(pool, async (client) => {
    await client.query(
      "SELECT set_config('busca_ativa.actor', 'cleanup', true), set_config('busca_ativa.reason', $1, true)",
      [ANONYMISED_MARKER],
    );
    const contacts = await client.query(
      `UPDATE contacts SET name = $2, birth_date = NULL, procedure = NULL, fields = '{}'::jsonb,
         dedupe_key = 'anon:' || id, decline_reason_text = NULL
       WHERE campaign_uid = $1 AND dedupe_key NOT LIKE 'anon:%'`,
      [uid, ANONYMISED_NAME],
    );
    const phones = await client.query(
      `UPDATE phones SET e164 = '+999' || lpad(id::text, 11, '0'), raw = '', wa_address = NULL, lid = NULL
       WHERE campaign_uid = $1 AND e164 NOT LIKE '+999%'`,
      [uid],
    );
    const inbound = await client.query(
      `UPDATE inbound_messages SET text = NULL, from_address = 'anonimizado', from_e164 = NULL, from_lid = NULL
       WHERE campaign_uid = $1 AND (text IS NOT NULL OR from_e164 IS NOT NULL OR from_lid IS NOT NULL
         OR from_address <> 'anonimizado')`,
      [uid],
    );
    const outbox = await client.query(
      `UPDATE outbox SET body = NULL, provider_address = NULL, template = NULL
       WHERE campaign_uid = $1 AND (body IS NOT NULL OR provider_address IS NOT NULL OR template IS NOT NULL)`,
      [uid],
    );
    // A rejection's reason may quote the cell it refused (a phone number): only its code stays.
    const rejections = await client.query(
      `UPDATE import_rejections SET raw = '{}'::jsonb, reason = reason_code
       WHERE campaign_uid = $1 AND (raw <> '{}'::jsonb OR reason <> reason_code)`,
      [uid],
    );
    await client.query(
      `INSERT INTO audit_log (campaign_uid, entity, entity_id, from_state, to_state, actor, reason)
       VALUES ($1::uuid, 'campaign', $2::text, $3::text, $3::text, 'cleanup', $4::text)`,
      [uid, uid, state, ANONYMISED_MARKER],
    );
    return {
      contacts: contacts.rowCount ?? 0,
      phones: phones.rowCount ?? 0,
      inboundMessages: inbound.rowCount ?? 0,
      outboxRows: outbox.rowCount ?? 0,
      rejectedRows: rejections.rowCount ?? 0,
    };
  });
}
