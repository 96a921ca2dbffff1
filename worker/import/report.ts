/**
 * The import report: counts only, never patient data, so it can be logged, stored in `imports.report`
 * and summarised in the Campaign's status. The zod schema is its definition.
 */
import { z } from "zod";
import type { ColumnLayout } from "./columns.js";
import type { RowOutcome } from "./patient-row.js";
import type { SourceDetails } from "./sheet-row.js";

const count = z.number().int().min(0);
const countsByCode = z.record(z.string(), count);

export const importReportSchema = z.object({
  importId: z.number().int(),
  campaignUid: z.string(),
  /** This exact file (same SHA-256) was imported into the campaign before: nothing was written now. */
  alreadyImported: z.boolean(),
  checksum: z.string(),
  source: z.object({
    description: z.string(),
    format: z.enum(["csv", "xlsx"]),
    encoding: z.string().optional(),
    delimiter: z.string().optional(),
    sheetName: z.string().optional(),
  }),
  columns: z.object({
    headerRow: z.number().int(),
    name: z.string(),
    phone: z.array(z.string()),
    procedure: z.string().nullable(),
    birthDate: z.string().nullable(),
    /** Field keys available to template placeholders. */
    fields: z.array(z.string()),
  }),
  rows: z.object({
    /** Rows after the header row, blank ones included. */
    read: count,
    blank: count,
    /** Rows above the header row (titles, notes). */
    beforeHeader: count,
    accepted: count,
    rejected: count,
  }),
  rejectedByReason: countsByCode,
  contacts: z.object({
    created: count,
    /** Accepted rows that were merged into a contact of this list or of an earlier import. */
    mergedRows: count,
    /** New contacts with no phone that can receive WhatsApp (landlines only): state no_whatsapp. */
    withoutSendablePhone: count,
  }),
  phones: z.object({
    created: count,
    /** The same number written again for the same patient (in one row or in merged rows). */
    duplicates: count,
    /** Landlines and other lines kept but never sent to. */
    notSendable: count,
    ninthDigitAdded: count,
    /** Numbers written without DDD that took the DDD of the number before them in the cell. */
    dddInferred: count,
    /** Parts of phone cells in accepted rows that were not a valid number, by reason. */
    invalidInAcceptedRows: countsByCode,
    /** Numbers that belong to more than one contact of the campaign (kept for each, worth a look). */
    sharedByContacts: count,
    /** Numbers of the campaign that have opted out in this namespace (they will not be messaged). */
    optedOut: count,
  }),
  warnings: z.object({
    /** Birth dates that could not be read; the patient was kept without one. */
    invalidBirthDates: count,
  }),
  startedAt: z.string(),
  finishedAt: z.string(),
});

export type ImportReport = z.infer<typeof importReportSchema>;

/** Counts that come from reading the rows (before anything is written). */
export class RowTally {
  read = 0;
  blank = 0;
  beforeHeader = 0;
  accepted = 0;
  rejected = 0;
  rejectedByReason: Record<string, number> = {};
  duplicatePhonesInRows = 0;
  ninthDigitAdded = 0;
  dddInferred = 0;
  invalidInAcceptedRows: Record<string, number> = {};
  invalidBirthDates = 0;

  add(outcome: RowOutcome): void {
    this.read += 1;
    if (outcome.kind === "blank") {
      this.blank += 1;
    } else if (outcome.kind === "rejected") {
      this.rejected += 1;
      increment(this.rejectedByReason, outcome.rejection.reasonCode);
    } else {
      const row = outcome.row;
      this.accepted += 1;
      this.duplicatePhonesInRows += row.duplicatePhones;
      for (const phone of row.phones) {
        if (phone.ninthDigitAdded) this.ninthDigitAdded += 1;
        if (phone.dddInferred) this.dddInferred += 1;
      }
      for (const token of row.invalidPhones) increment(this.invalidInAcceptedRows, token.reason);
      if (row.invalidBirthDate) this.invalidBirthDates += 1;
    }
  }
}

export function describeColumns(layout: ColumnLayout): ImportReport["columns"] {
  const header = (i: number | null) => (i === null ? null : layout.headers[i] || `column ${i + 1}`);
  return {
    headerRow: layout.headerRow,
    name: header(layout.name)!,
    phone: layout.phone.map((i) => header(i)!),
    procedure: header(layout.procedure),
    birthDate: header(layout.birthDate),
    fields: layout.fields.map((f) => f.key),
  };
}

export function describeSource(description: string, details: SourceDetails): ImportReport["source"] {
  return {
    description,
    format: details.format,
    ...(details.encoding ? { encoding: details.encoding } : {}),
    ...(details.delimiter ? { delimiter: details.delimiter } : {}),
    ...(details.sheetName ? { sheetName: details.sheetName } : {}),
  };
}

function increment(counts: Record<string, number>, key: string): void {
  counts[key] = (counts[key] ?? 0) + 1;
}
