/**
 * Writes of the patient-list import, all inside the import's one transaction (see
 * worker/import/import-patient-list.ts). Rows go in batches as multi-row statements over arrays
 * (`unnest`), so a batch of a thousand contacts is three round trips.
 */
import type { LineType } from "../phone/index.js";
import type { Queryable } from "./pool.js";

export interface PhoneInput {
  e164: string;
  raw: string;
  lineType: LineType;
  sendable: boolean;
}

export interface ContactInput {
  sourceRow: number;
  name: string;
  birthDate: string | null;
  procedure: string | null;
  fields: Record<string, string>;
  dedupeKey: string;
  /** Distinct, in priority order. */
  phones: PhoneInput[];
}

export interface RejectionInput {
  sourceRow: number;
  reasonCode: string;
  reason: string;
  raw: Record<string, unknown>;
}

export interface ContactBatchResult {
  created: number;
  /** Contacts of the batch that already existed in the campaign (their phones were added to them). */
  merged: number;
  /** New contacts without a sendable phone (state no_whatsapp). */
  createdWithoutSendable: number;
  phonesCreated: number;
  /** Phones the contact already had. */
  phonesExisting: number;
  phonesNotSendable: number;
}

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

/** Contacts with distinct dedupe keys (merge within the batch first) and their phones. */
export async function writeContacts(
  client: Queryable,
  values: { campaignUid: string; importId: number; contacts: ContactInput[] },
): Promise<ContactBatchResult> {
  const { campaignUid, importId, contacts } = values;
  if (contacts.length === 0) {
    return {
      created: 0,
      merged: 0,
      createdWithoutSendable: 0,
      phonesCreated: 0,
      phonesExisting: 0,
      phonesNotSendable: 0,
    };
  }
  const stateOf = (c: ContactInput) => (c.phones.some((p) => p.sendable) ? "pending" : "no_whatsapp");
  // A contact that exists already is "updated" through the unique index (the merge rule: a procedure
  // only where it had none), which returns its id without a second lookup. A row was created by this
  // statement exactly when it carries this import's id and this input's sheet row: a contact merged into
  // has the import id and sheet row of the row that created it, and one sheet row is never read twice.
  const { rows } = await client.query<{
    id: number;
    dedupe_key: string;
    import_id: number;
    source_row: number;
  }>(
    `INSERT INTO contacts (campaign_uid, import_id, source_row, name, birth_date, procedure, fields, dedupe_key, state)
     SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::date[], $6::text[], $7::jsonb[], $8::text[], $9::text[])
     ON CONFLICT (campaign_uid, dedupe_key)
       DO UPDATE SET procedure = COALESCE(contacts.procedure, EXCLUDED.procedure)
     RETURNING id, dedupe_key, import_id, source_row`,
    [
      campaignUid,
      importId,
      contacts.map((c) => c.sourceRow),
      contacts.map((c) => c.name),
      contacts.map((c) => c.birthDate),
      contacts.map((c) => c.procedure),
      contacts.map((c) => JSON.stringify(c.fields)),
      contacts.map((c) => c.dedupeKey),
      contacts.map(stateOf),
    ],
  );
  const byKey = new Map(rows.map((r) => [r.dedupe_key, r]));
  const existing: ContactInput[] = [];
  const phoneRows: { contactId: number; phone: PhoneInput; order: number }[] = [];
  let createdWithoutSendable = 0;
  for (const contact of contacts) {
    const row = byKey.get(contact.dedupeKey)!;
    const created = Number(row.import_id) === importId && row.source_row === contact.sourceRow;
    if (created && stateOf(contact) === "no_whatsapp") createdWithoutSendable += 1;
    if (!created) existing.push(contact);
    contact.phones.forEach((phone, i) => phoneRows.push({ contactId: row.id, phone, order: i + 1 }));
  }
  const existingIds = existing.map((c) => byKey.get(c.dedupeKey)!.id);

  // New contacts number their phones from 1; merged ones continue after their last phone.
  const inserted = await client.query<{ sendable: boolean }>(
    `WITH last AS (
       SELECT contact_id, max(priority) AS priority FROM phones WHERE contact_id = ANY($8::bigint[]) GROUP BY contact_id
     )
     INSERT INTO phones (contact_id, campaign_uid, e164, raw, line_type, sendable, priority)
     SELECT i.contact_id, $1, i.e164, i.raw, i.line_type, i.sendable, COALESCE(last.priority, 0) + i.ord
     FROM unnest($2::bigint[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::int[])
       AS i(contact_id, e164, raw, line_type, sendable, ord)
     LEFT JOIN last ON last.contact_id = i.contact_id
     ON CONFLICT (contact_id, e164) DO NOTHING
     RETURNING sendable`,
    [
      campaignUid,
      phoneRows.map((r) => r.contactId),
      phoneRows.map((r) => r.phone.e164),
      phoneRows.map((r) => r.phone.raw),
      phoneRows.map((r) => r.phone.lineType),
      phoneRows.map((r) => r.phone.sendable),
      phoneRows.map((r) => r.order),
      existingIds,
    ],
  );

  if (existing.length > 0) {
    // A contact with no WhatsApp that just got a new mobile goes back to be checked.
    await client.query(
      `UPDATE contacts c SET state = 'pending'
       WHERE c.id = ANY($1::bigint[]) AND c.state = 'no_whatsapp'
         AND EXISTS (SELECT 1 FROM phones p WHERE p.contact_id = c.id AND p.sendable AND p.wa_status = 'unknown')`,
      [existingIds],
    );
  }

  const phonesCreated = inserted.rowCount ?? 0;
  return {
    created: contacts.length - existing.length,
    merged: existing.length,
    createdWithoutSendable,
    phonesCreated,
    phonesExisting: phoneRows.length - phonesCreated,
    phonesNotSendable: inserted.rows.filter((r) => !r.sendable).length,
  };
}

export async function writeRejections(
  client: Queryable,
  values: { campaignUid: string; importId: number; rejections: RejectionInput[] },
): Promise<void> {
  const { rejections } = values;
  if (rejections.length === 0) return;
  await client.query(
    `INSERT INTO import_rejections (campaign_uid, import_id, source_row, reason_code, reason, raw)
     SELECT $1, $2, * FROM unnest($3::int[], $4::text[], $5::text[], $6::jsonb[])`,
    [
      values.campaignUid,
      values.importId,
      rejections.map((r) => r.sourceRow),
      rejections.map((r) => r.reasonCode),
      rejections.map((r) => r.reason),
      rejections.map((r) => JSON.stringify(r.raw)),
    ],
  );
}

/** Numbers that belong to more than one contact of the campaign. */
export async function countSharedPhones(client: Queryable, campaignUid: string): Promise<number> {
  const { rows } = await client.query<{ n: number }>(
    `SELECT count(*) AS n FROM (
       SELECT e164 FROM phones WHERE campaign_uid = $1 GROUP BY e164 HAVING count(DISTINCT contact_id) > 1
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
