/**
 * The bulk write path of the patient-list import, inside the import's one transaction.
 *
 * Rows are collected in batches (a few thousand rows; rows of one patient within a batch are merged
 * before, see worker/import/contact-batch.ts). A batch's contacts and phones are sent with COPY into two
 * temporary tables and written from there with one statement per table, merged into the contacts of
 * earlier batches and imports; its rejected rows are copied straight into import_rejections. The counter
 * triggers (statement level) fire once per table and batch. A batch is written while the next one is
 * read, so reading the list and PostgreSQL's work overlap. The temporary tables are emptied after each
 * batch and dropped at commit or rollback.
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
  -- The batch's contacts with what the campaign knows of them.
  CREATE TEMP TABLE staged_contacts (
    LIKE staged_contact_rows,
    existing boolean NOT NULL,
    contact_id bigint NOT NULL
  ) ON COMMIT DROP;
`;

/**
 * One staged batch to contacts and phones, in one round trip (a session-local function:
 * while Node is busy reading the next batch, every round trip would leave PostgreSQL waiting).
 *
 * A contact the campaign has already (from an earlier batch or import) keeps its data (a procedure is
 * filled in only where it had none), gets the numbers it did not have after its last priority, and
 * goes back to \`pending\` when it was \`no_whatsapp\` and got a sendable number. New contacts get their
 * ids here, in list order, so their phones need no lookup. Staged contacts have distinct dedupe keys.
 */
const WRITE_BATCH = `
  CREATE OR REPLACE FUNCTION pg_temp.write_import_batch(
    p_campaign uuid, p_import bigint,
    OUT created integer, OUT merged integer, OUT without_sendable integer,
    OUT phones_created integer, OUT phones_not_sendable integer
  ) LANGUAGE plpgsql AS $fn$
  DECLARE
    added integer;
    added_not_sendable integer;
  BEGIN
    INSERT INTO staged_contacts
    SELECT r.*, k.id IS NOT NULL, COALESCE(k.id, nextval(pg_get_serial_sequence('contacts', 'id')))
    FROM staged_contact_rows r
    -- One index probe per row, whatever the (often stale) statistics of a table that just grew.
    CROSS JOIN LATERAL (
      SELECT (SELECT c.id FROM contacts c WHERE c.campaign_uid = p_campaign AND c.dedupe_key = r.dedupe_key) AS id
    ) k
    ORDER BY r.source_row;

    SELECT count(*) FILTER (WHERE NOT s.existing), count(*) FILTER (WHERE s.existing),
           count(*) FILTER (WHERE NOT s.existing AND NOT s.has_sendable)
    INTO created, merged, without_sendable
    FROM staged_contacts s;

    INSERT INTO contacts (id, campaign_uid, import_id, source_row, name, birth_date, procedure, fields, dedupe_key, state)
    SELECT s.contact_id, p_campaign, p_import, s.source_row, s.name, s.birth_date, s.procedure, s.fields, s.dedupe_key,
           CASE WHEN s.has_sendable THEN 'pending' ELSE 'no_whatsapp' END
    FROM staged_contacts s WHERE NOT s.existing ORDER BY s.source_row;

    INSERT INTO phones (contact_id, campaign_uid, e164, raw, line_type, sendable, priority)
    SELECT s.contact_id, p_campaign, p.e164, p.raw, p.line_type, p.sendable, p.priority
    FROM staged_phone_rows p JOIN staged_contacts s ON s.source_row = p.source_row
    WHERE NOT s.existing
    ORDER BY s.contact_id, p.priority;
    GET DIAGNOSTICS phones_created = ROW_COUNT;
    SELECT count(*) INTO phones_not_sendable
    FROM staged_phone_rows p JOIN staged_contacts s ON s.source_row = p.source_row
    WHERE NOT s.existing AND NOT p.sendable;

    IF merged > 0 THEN
      UPDATE contacts c SET procedure = s.procedure FROM staged_contacts s
      WHERE s.existing AND c.id = s.contact_id AND c.procedure IS NULL AND s.procedure IS NOT NULL;

      WITH last AS (
        SELECT x.contact_id, max(x.priority) AS priority FROM phones x
        WHERE x.contact_id IN (SELECT s.contact_id FROM staged_contacts s WHERE s.existing)
        GROUP BY x.contact_id
      ), inserted AS (
        INSERT INTO phones (contact_id, campaign_uid, e164, raw, line_type, sendable, priority)
        SELECT s.contact_id, p_campaign, p.e164, p.raw, p.line_type, p.sendable,
               COALESCE(last.priority, 0) + row_number() OVER (PARTITION BY s.contact_id ORDER BY p.priority)
        FROM staged_phone_rows p
        JOIN staged_contacts s ON s.source_row = p.source_row AND s.existing
        LEFT JOIN last ON last.contact_id = s.contact_id
        WHERE NOT EXISTS (SELECT 1 FROM phones x WHERE x.contact_id = s.contact_id AND x.e164 = p.e164)
        RETURNING phones.sendable
      )
      SELECT count(*), count(*) FILTER (WHERE NOT i.sendable) INTO added, added_not_sendable FROM inserted i;
      phones_created := phones_created + added;
      phones_not_sendable := phones_not_sendable + added_not_sendable;

      -- A contact with no WhatsApp that just got a new mobile goes back to be checked.
      UPDATE contacts c SET state = 'pending' FROM staged_contacts s
      WHERE s.existing AND c.id = s.contact_id AND c.state = 'no_whatsapp'
        AND EXISTS (SELECT 1 FROM phones x WHERE x.contact_id = c.id AND x.sendable AND x.wa_status = 'unknown');
    END IF;

    TRUNCATE staged_contact_rows, staged_phone_rows, staged_contacts;
  END $fn$;
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
    await client.query(`SET LOCAL work_mem = '64MB'; SET LOCAL jit = off; ${TABLES} ${WRITE_BATCH}`);
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
    // Rejected rows need no merging: they go straight into their table.
    const batchIds = `${copyField(this.options.campaignUid)}\t${this.options.importId}`;
    const rejectionLines = rejections.map(
      (r) =>
        `${batchIds}\t${r.sourceRow}\t${copyField(r.reasonCode)}\t${copyField(r.reason)}\t${copyField(JSON.stringify(r.raw))}\n`,
    );
    this.inFlight = (async () => {
      const { client } = this;
      if (contactLines.length > 0) await copyInto(client, "staged_contact_rows", contactLines.join(""));
      if (phoneLines.length > 0) await copyInto(client, "staged_phone_rows", phoneLines.join(""));
      if (rejectionLines.length > 0) {
        await copyInto(
          client,
          "import_rejections (campaign_uid, import_id, source_row, reason_code, reason, raw)",
          rejectionLines.join(""),
        );
      }
      if (contactLines.length === 0) return;
      const { rows } = await client.query<{
        created: number;
        merged: number;
        without_sendable: number;
        phones_created: number;
        phones_not_sendable: number;
      }>("SELECT * FROM pg_temp.write_import_batch($1, $2)", [
        this.options.campaignUid,
        this.options.importId,
      ]);
      const batch = rows[0]!;
      this.written.created += batch.created;
      this.written.merged += batch.merged;
      this.written.createdWithoutSendable += batch.without_sendable;
      this.written.phonesCreated += batch.phones_created;
      this.written.phonesExisting += phoneLines.length - batch.phones_created;
      this.written.phonesNotSendable += batch.phones_not_sendable;
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
