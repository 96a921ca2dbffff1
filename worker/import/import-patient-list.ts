/**
 * Imports a patient list into a campaign: reads it row by row (parse-patient-rows.ts), streams the rows
 * into temporary tables with COPY while reading, then merges duplicates and writes contacts, phones and
 * rejected rows with one statement per table (lib/db/import-writer.ts), all inside one transaction, so
 * an import is all or nothing and a crash leaves no half list.
 *
 * Idempotent: imports into one campaign run one at a time, and a file whose SHA-256 was already
 * imported into the campaign writes nothing (the earlier report comes back with `alreadyImported`).
 * Another file with some of the same patients adds only what is new: phones are merged into the
 * existing contacts.
 */
import type { Readable } from "node:stream";
import type { Pool } from "pg";
import { AppError } from "../../lib/errors.js";
import type { Logger } from "../../lib/logger.js";
import {
  countOptedOutPhones,
  countSharedPhones,
  findImportByChecksum,
  finishImport,
  insertImport,
  lockCampaignForImport,
} from "../../lib/db/import-store.js";
import { ImportWriter, type RejectionInput } from "../../lib/db/import-writer.js";
import { withTransaction } from "../../lib/db/pool.js";
import { ContactBatch } from "./contact-batch.js";
import type { ColumnMappingInput } from "./columns.js";
import { openPatientList } from "./parse-patient-rows.js";
import {
  describeColumns,
  describeSource,
  importReportSchema,
  RowTally,
  type ImportReport,
} from "./report.js";
import type { RequestedFormat } from "./source.js";

export interface ImportPatientListOptions {
  pool: Pool;
  /** The campaign's uid; its row must exist (see ensureCampaign). */
  campaignUid: string;
  source: Readable | Buffer;
  /** Default "auto". */
  format?: RequestedFormat;
  columnMapping?: ColumnMappingInput;
  /** Where the list came from, for the record, e.g. "secret hospital/lista-ortopedia key lista.xlsx". No patient data. */
  sourceDescription?: string;
  logger?: Logger;
  /** Clock: import timestamps and "today" for birth dates. Default the system clock. */
  now?: () => Date;
  /** Rows per write batch (memory held is about two batches); default 2000. */
  batchSize?: number;
}

export async function importPatientList(options: ImportPatientListOptions): Promise<ImportReport> {
  const now = options.now ?? (() => new Date());
  const startedAt = now();
  const batchSize = options.batchSize ?? 2000;
  const list = await openPatientList(options.source, {
    format: options.format ?? "auto",
    columnMapping: options.columnMapping,
    today: startedAt,
  });
  const description = options.sourceDescription ?? `${list.source.format} list`;
  const { campaignUid } = options;

  const outcome = await withTransaction(options.pool, async (client) => {
    const campaign = await lockCampaignForImport(client, campaignUid);
    if (!campaign) {
      throw new AppError(
        "IMPORT_CAMPAIGN_NOT_FOUND",
        `Campaign ${campaignUid} has no database row: create it (ensureCampaign) before importing its list`,
      );
    }
    if (list.source.checksumNow) {
      const earlier = await findImportByChecksum(client, campaignUid, list.source.checksumNow);
      if (earlier) return { alreadyImported: earlier.report };
    }
    const importId = await insertImport(client, {
      campaignUid,
      source: description,
      format: list.source.format,
      startedAt,
    });

    const tally = new RowTally();
    const writer = await ImportWriter.create(client, { campaignUid, importId });
    let batch = new ContactBatch();
    let rejections: RejectionInput[] = [];
    let mergedInBatches = 0;
    let duplicatePhonesInBatches = 0;
    const flush = async () => {
      mergedInBatches += batch.mergedRows;
      duplicatePhonesInBatches += batch.duplicatePhones;
      await writer.write(batch.contacts(), rejections);
      batch = new ContactBatch();
      rejections = [];
    };
    try {
      for await (const row of list.outcomes()) {
        tally.add(row);
        if (row.kind === "patient") batch.add(row.row);
        else if (row.kind === "rejected") rejections.push(row.rejection);
        if (batch.size + rejections.length >= batchSize) await flush();
      }
      await flush();
      await writer.finish();
    } catch (err) {
      await writer.settle();
      throw err;
    }

    const checksum = await list.source.checksum();
    if (!list.source.checksumNow) {
      const earlier = await findImportByChecksum(client, campaignUid, checksum);
      if (earlier) throw new AlreadyImported(earlier.report);
    }
    const { written } = writer;

    const report: ImportReport = {
      importId,
      campaignUid,
      alreadyImported: false,
      checksum,
      source: describeSource(description, list.details),
      columns: describeColumns(list.columns()!),
      rows: {
        read: tally.read,
        blank: tally.blank,
        beforeHeader: list.beforeHeader(),
        accepted: tally.accepted,
        rejected: tally.rejected,
      },
      rejectedByReason: tally.rejectedByReason,
      contacts: {
        created: written.created,
        mergedRows: mergedInBatches + written.merged,
        withoutSendablePhone: written.createdWithoutSendable,
      },
      phones: {
        created: written.phonesCreated,
        duplicates: tally.duplicatePhonesInRows + duplicatePhonesInBatches + written.phonesExisting,
        notSendable: written.phonesNotSendable,
        ninthDigitAdded: tally.ninthDigitAdded,
        dddInferred: tally.dddInferred,
        invalidInAcceptedRows: tally.invalidInAcceptedRows,
        sharedByContacts: await countSharedPhones(client, campaignUid),
        optedOut: await countOptedOutPhones(client, campaignUid, campaign.namespace),
      },
      warnings: { invalidBirthDates: tally.invalidBirthDates },
      startedAt: startedAt.toISOString(),
      finishedAt: now().toISOString(),
    };
    await finishImport(client, { importId, checksum, finishedAt: new Date(report.finishedAt), report });
    return { report };
  }).catch((err: unknown) => {
    if (err instanceof AlreadyImported) return { alreadyImported: err.report };
    throw err;
  });

  if ("alreadyImported" in outcome) {
    const earlier = importReportSchema.parse(outcome.alreadyImported);
    options.logger?.info(
      { campaignUid, importId: earlier.importId },
      "Patient list was already imported into this campaign; nothing written",
    );
    return { ...earlier, alreadyImported: true };
  }
  const { report } = outcome;
  options.logger?.info(
    {
      campaignUid,
      importId: report.importId,
      rows: report.rows,
      contactsCreated: report.contacts.created,
      rejectedByReason: report.rejectedByReason,
    },
    "Imported a patient list",
  );
  return report;
}

/** Rolls the transaction back when the file turns out to be imported already (known only at its end). */
class AlreadyImported extends Error {
  constructor(readonly report: unknown) {
    super("The patient list was already imported");
  }
}
