/**
 * The import's bookkeeping queries, all inside the import's one transaction (see
 * worker/import/import-patient-list.ts): the per-campaign lock, the imports row, and the report's
 * campaign-wide counts. Contacts, phones and rejected rows are written by import-writer.ts.
 */
import type { Queryable } from "./pool.js";

/**
 * Serialises imports into one campaign (held until the transaction ends) and returns the campaign's
 * namespace, or undefined when the campaign has no row.
 */
export async function lockCampaignForImport(
  client: Queryable,
  campaignUid: string,
): Promise<{ namespace: string } | undefined> {
  await client.query("SELECT pg_advisory_xact_lock(hashtextextended('import:' || $1::text, 0))", [
    campaignUid,
  ]);
  const { rows } = await client.query<{ namespace: string }>(
    "SELECT namespace FROM campaigns WHERE uid = $1",
    [campaignUid],
  );
  return rows[0];
}

export async function findImportByChecksum(
  client: Queryable,
  campaignUid: string,
  checksum: string,
): Promise<{ id: number; report: unknown } | undefined> {
  const { rows } = await client.query<{ id: number; report: unknown }>(
    "SELECT id, report FROM imports WHERE campaign_uid = $1 AND checksum = $2",
    [campaignUid, checksum],
  );
  return rows[0];
}

export async function insertImport(
  client: Queryable,
  values: { campaignUid: string; source: string; format: "csv" | "xlsx"; startedAt: Date },
): Promise<number> {
  const { rows } = await client.query<{ id: number }>(
    "INSERT INTO imports (campaign_uid, source, format, started_at) VALUES ($1, $2, $3, $4) RETURNING id",
    [values.campaignUid, values.source, values.format, values.startedAt],
  );
  return rows[0]!.id;
}

export async function finishImport(
  client: Queryable,
  values: { importId: number; checksum: string; finishedAt: Date; report: unknown },
): Promise<void> {
  await client.query("UPDATE imports SET checksum = $2, finished_at = $3, report = $4 WHERE id = $1", [
    values.importId,
    values.checksum,
    values.finishedAt,
    JSON.stringify(values.report),
  ]);
}

/**
 * Numbers that belong to more than one contact of the campaign. A number is on a contact at most once
 * (phones_contact_e164_key), so "more than one contact" is "two different contact ids": min and max
 * differ, which a hash aggregate answers without sorting (count(DISTINCT ...) sorts every group).
 */
export async function countSharedPhones(client: Queryable, campaignUid: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*) AS n FROM (
       SELECT e164 FROM phones WHERE campaign_uid = $1 GROUP BY e164 HAVING min(contact_id) <> max(contact_id)
     ) AS shared`,
    [campaignUid],
  );
  return Number(rows[0]!.n);
}

/** Numbers of the campaign that opted out in its namespace. */
export async function countOptedOutPhones(
  client: Queryable,
  campaignUid: string,
  namespace: string,
): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(DISTINCT p.e164) AS n FROM phones p
     JOIN opt_outs o ON o.namespace = $2 AND o.e164 = p.e164
     WHERE p.campaign_uid = $1`,
    [campaignUid, namespace],
  );
  return Number(rows[0]!.n);
}
