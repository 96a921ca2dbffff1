/**
 * The bulk write path of the patient-list import, inside the import's one transaction.
 *
 * Rows are collected in batches (a few thousand rows). A batch is sent with COPY into three temporary
 * tables (contact rows, their phones, rejected rows) and written from there with one statement per
 * table: rows of the same patient merged in SQL, contacts of earlier batches and earlier imports merged
 * into, and the counter triggers (statement level) firing once per table and batch. A batch is written
 * while the next one is read, so reading the list and PostgreSQL's work overlap. The temporary tables
 * are emptied after each batch and dropped at commit or rollback.
 *
 * COPY's text format: fields separated by tabs, `\N` for null, and backslash, tab, newline and
 * carriage return escaped (see copyField).
 */
import { once } from "node:events";
import type pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import type { LineType } from "../phone/index.js";

export interface PhoneInput {
  e164: string;
  raw: string;
  lineType: LineType;
  sendable: boolean;
}

/** One patient of a batch: rows of the same patient within the batch are merged before (ContactBatch). */
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

export interface WriterOptions {
  campaignUid: string;
  importId: number;
}

export interface WriteResult {
  /** Contacts created by this import (patients that were not in the campaign). */
  created: number;
  /** Contacts of the batches that existed already (from an earlier batch or import): merged into. */
  merged: number;
  /** New contacts without a sendable phone (state no_whatsapp). */
  createdWithoutSendable: number;
  phonesCreated: number;
  /** Phones of the batches' contacts that the contact had already. */
  phonesExisting: number;
  phonesNotSendable: number;
}

const TABLES = `
  CREATE TEMP TABLE staged_contact_rows (
    source_row integer NOT NULL,
    dedupe_key text NOT NULL,
    name text NOT NULL,
    birth_date date,
    procedure text,
    fields jsonb NOT NULL,
    has_sendable boolean NOT NULL
  ) ON COMMIT DROP;
  CREATE TEMP TABLE staged_phone_rows (
    source_row integer NOT NULL,
    priority integer NOT NULL,
    e164 text NOT NULL,
    raw text NOT NULL,
    line_type text NOT NULL,
    sendable boolean NOT NULL
  ) ON COMMIT DROP;
  CREATE TEMP TABLE staged_rejected_rows (
    source_row integer NOT NULL,
    reason_code text NOT NULL,
    reason text NOT NULL,
    raw jsonb NOT NULL
  ) ON COMMIT DROP;
`;

/** Writes an import's rows batch by batch; one per transaction. */
export class ImportWriter {
  /** The batch being written (at most one), started by the previous `write`. */
  private inFlight: Promise<void> = Promise.resolve();
  /** Totals of the batches written so far (complete after `finish`). */
  readonly written: WriteResult = {
    created: 0,
    merged: 0,
    createdWithoutSendable: 0,
    phonesCreated: 0,
    phonesExisting: 0,
    phonesNotSendable: 0,
  };

  private constructor(
    private readonly client: pg.PoolClient | pg.Client,
    private readonly options: WriterOptions,
  ) {}

  static async create(client: pg.PoolClient | pg.Client, options: WriterOptions): Promise<ImportWriter> {
    // Sorts and hashes of a batch fit in memory; the estimates on fresh temporary tables are rough, and
    // JIT compiling for them would cost more than the statements themselves.
    await client.query(`SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; ${TABLES}`);
    return new ImportWriter(client, options);
  }

  /**
   * Waits for the batch in flight, then starts writing this one and returns without waiting for it:
   * PostgreSQL writes a batch while the next one is read. `contacts` have distinct dedupe keys.
   */
  async write(contacts: readonly ContactInput[], rejections: readonly RejectionInput[]): Promise<void> {
    await this.inFlight;
    if (contacts.length === 0 && rejections.length === 0) return;
    const contactLines: string[] = [];
    const phoneLines: string[] = [];
    for (const contact of contacts) {
      let hasSendable = false;
      for (let i = 0; i < contact.phones.length; i++) {
        const phone = contact.phones[i]!;
        if (phone.sendable) hasSendable = true;
        phoneLines.push(
          `${contact.sourceRow}\t${i + 1}\t${copyField(phone.e164)}\t${copyField(phone.raw)}\t${phone.lineType}\t${phone.sendable ? "t" : "f"}\n`,
        );
      }
      contactLines.push(
        `${contact.sourceRow}\t${copyField(contact.dedupeKey)}\t${copyField(contact.name)}\t${copyField(contact.birthDate)}\t${copyField(contact.procedure)}\t${copyField(JSON.stringify(contact.fields))}\t${hasSendable ? "t" : "f"}\n`,
      );
    }
    const rejectionLines = rejections.map(
      (r) =>
        `${r.sourceRow}\t${copyField(r.reasonCode)}\t${copyField(r.reason)}\t${copyField(JSON.stringify(r.raw))}\n`,
    );
    this.inFlight = (async () => {
      const { client } = this;
      if (contactLines.length > 0) {
        await copyInto(client, "staged_contact_rows", contactLines.join(""));
        await copyInto(client, "staged_phone_rows", phoneLines.join(""));
        const result = await writeStagedContacts(client, this.options, phoneLines.length);
        for (const key of Object.keys(result) as (keyof WriteResult)[]) this.written[key] += result[key];
      }
      if (rejectionLines.length > 0) {
        await copyInto(client, "staged_rejected_rows", rejectionLines.join(""));
        await client.query(
          `INSERT INTO import_rejections (campaign_uid, import_id, source_row, reason_code, reason, raw)
           SELECT $1, $2, source_row, reason_code, reason, raw FROM staged_rejected_rows`,
          [this.options.campaignUid, this.options.importId],
        );
      }
      await client.query("TRUNCATE staged_contact_rows, staged_phone_rows, staged_rejected_rows");
    })();
    // Awaited by the next write or finish; this keeps a failure from counting as unhandled meanwhile.
    this.inFlight.catch(() => undefined);
  }

  /** Waits until every batch is written; `written` has the totals then. */
  async finish(): Promise<void> {
    await this.inFlight;
  }

  /** Waits for the batch in flight, ignoring its error (for the rollback path). */
  async settle(): Promise<void> {
    await this.inFlight.catch(() => undefined);
  }
}

async function copyInto(client: pg.PoolClient | pg.Client, table: string, text: string): Promise<void> {
  const stream = client.query(copyFrom(`COPY ${table} FROM STDIN`));
  const done = Promise.race([
    once(stream, "finish"),
    once(stream, "error").then(([err]) => Promise.reject(err as Error)),
  ]);
  stream.end(text);
  await done;
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** A value as a field of COPY's text format. */
export function copyField(value: string | null): string {
  if (value === null) return "\\N";
  return COPY_SPECIAL.test(value) ? value.replace(/[\\\t\n\r]/g, (ch) => COPY_ESCAPES[ch]!) : value;
}

/**
 * The staged contacts of one batch (distinct dedupe keys) and their phones to contacts and phones.
 *
 * A contact the campaign has already (from an earlier batch or import) keeps its data (a procedure is
 * filled in only where it had none), gets the numbers it did not have after its last priority, and
 * goes back to `pending` when it was `no_whatsapp` and got a sendable number. New contacts get their
 * ids here, in list order, so their phones need no lookup.
 */
async function writeStagedContacts(
  client: pg.PoolClient | pg.Client,
  values: WriterOptions,
  stagedPhones: number,
): Promise<WriteResult> {
  const { campaignUid, importId } = values;
  await client.query(
    `CREATE TEMP TABLE staged_contacts AS
     SELECT r.*, k.id IS NOT NULL AS existing,
            COALESCE(k.id, nextval(pg_get_serial_sequence('contacts', 'id'))) AS contact_id
     FROM staged_contact_rows r
     -- One index probe per row, whatever the (often stale) statistics of a table that just grew.
     CROSS JOIN LATERAL (
       SELECT (SELECT id FROM contacts c WHERE c.campaign_uid = $1 AND c.dedupe_key = r.dedupe_key) AS id
     ) k
     ORDER BY r.source_row`,
    [campaignUid],
  );
  const { rows } = await client.query<{ created: number; without_sendable: number; merged: number }>(
    `SELECT (count(*) FILTER (WHERE NOT existing))::int AS created,
            (count(*) FILTER (WHERE NOT existing AND NOT has_sendable))::int AS without_sendable,
            (count(*) FILTER (WHERE existing))::int AS merged
     FROM staged_contacts`,
  );
  const counts = rows[0]!;
  await client.query(
    `INSERT INTO contacts (id, campaign_uid, import_id, source_row, name, birth_date, procedure, fields, dedupe_key, state)
     SELECT contact_id, $1, $2, source_row, name, birth_date, procedure, fields, dedupe_key,
            CASE WHEN has_sendable THEN 'pending' ELSE 'no_whatsapp' END
     FROM staged_contacts WHERE NOT existing ORDER BY source_row`,
    [campaignUid, importId],
  );
  const phones = await client.query<{ n: number; not_sendable: number }>(
    `WITH inserted AS (
       INSERT INTO phones (contact_id, campaign_uid, e164, raw, line_type, sendable, priority)
       SELECT c.contact_id, $1, p.e164, p.raw, p.line_type, p.sendable, p.priority
       FROM staged_phone_rows p JOIN staged_contacts c ON c.source_row = p.source_row
       WHERE NOT c.existing
       ORDER BY c.contact_id, p.priority
       RETURNING sendable
     )
     SELECT count(*)::int AS n, (count(*) FILTER (WHERE NOT sendable))::int AS not_sendable FROM inserted`,
    [campaignUid],
  );
  let phonesCreated = phones.rows[0]!.n;
  let phonesNotSendable = phones.rows[0]!.not_sendable;
  if (counts.merged > 0) {
    await client.query(
      `UPDATE contacts c SET procedure = s.procedure FROM staged_contacts s
       WHERE s.existing AND c.id = s.contact_id AND c.procedure IS NULL AND s.procedure IS NOT NULL`,
    );
    const added = await client.query<{ n: number; not_sendable: number }>(
      `WITH last AS (
         SELECT contact_id, max(priority) AS priority FROM phones
         WHERE contact_id IN (SELECT contact_id FROM staged_contacts WHERE existing)
         GROUP BY contact_id
       ), inserted AS (
         INSERT INTO phones (contact_id, campaign_uid, e164, raw, line_type, sendable, priority)
         SELECT c.contact_id, $1, p.e164, p.raw, p.line_type, p.sendable,
                COALESCE(last.priority, 0) + row_number() OVER (PARTITION BY c.contact_id ORDER BY p.priority)
         FROM staged_phone_rows p
         JOIN staged_contacts c ON c.source_row = p.source_row AND c.existing
         LEFT JOIN last ON last.contact_id = c.contact_id
         WHERE NOT EXISTS (SELECT 1 FROM phones x WHERE x.contact_id = c.contact_id AND x.e164 = p.e164)
         RETURNING sendable
       )
       SELECT count(*)::int AS n, (count(*) FILTER (WHERE NOT sendable))::int AS not_sendable FROM inserted`,
      [campaignUid],
    );
    phonesCreated += added.rows[0]!.n;
    phonesNotSendable += added.rows[0]!.not_sendable;
    // A contact with no WhatsApp that just got a new mobile goes back to be checked.
    await client.query(
      `UPDATE contacts c SET state = 'pending' FROM staged_contacts s
       WHERE s.existing AND c.id = s.contact_id AND c.state = 'no_whatsapp'
         AND EXISTS (SELECT 1 FROM phones p WHERE p.contact_id = c.id AND p.sendable AND p.wa_status = 'unknown')`,
    );
  }
  await client.query("DROP TABLE staged_contacts");
  return {
    created: counts.created,
    merged: counts.merged,
    createdWithoutSendable: counts.without_sendable,
    phonesCreated,
    phonesExisting: stagedPhones - phonesCreated,
    phonesNotSendable,
  };
}
