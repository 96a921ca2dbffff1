/**
 * Checking a patient list before it is stored: the file is read by the import's own parser
 * (`openPatientList`, the same code a Campaign's import job runs), row by row, and duplicate rows are
 * merged by the same dedupe key, in memory. Nothing is written anywhere: the report says what a
 * campaign import of this file will produce (rows accepted, rejected by reason, contacts after merging,
 * phones), in counts only, so it can be printed, logged and stored.
 *
 * Why the parser and not a real import rolled back: a real import needs a campaign row and writes every
 * patient to PostgreSQL (rolled back or not, the rows and their triggers run), for a check that only
 * needs counts. The parser is the part that decides every count here; what only the database knows (the
 * numbers that opted out in the namespace) is counted separately by the caller.
 */
import type { Readable } from "node:stream";
import { z } from "zod";
import { AppError } from "../../lib/errors.js";
import { openPatientList, type ColumnMappingInput } from "../../worker/import/index.js";
import { describeColumns, RowTally } from "../../worker/import/report.js";
import type { RequestedFormat } from "../../worker/import/source.js";

const count = z.number().int().min(0);
const countsByCode = z.record(z.string(), count);

export const listCheckSchema = z.object({
  checksum: z.string(),
  format: z.enum(["csv", "xlsx"]),
  source: z.object({
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
  /** The `--map` the list was checked with; a Campaign importing it needs the same columnMapping. */
  columnMapping: z.record(z.string(), z.array(z.string())).optional(),
  rows: z.object({
    read: count,
    blank: count,
    beforeHeader: count,
    accepted: count,
    rejected: count,
  }),
  rejectedByReason: countsByCode,
  contacts: z.object({
    /** Patients after merging duplicate rows. */
    total: count,
    mergedRows: count,
    /** Patients whose phones are all landlines or other lines: they will not be messaged. */
    withoutSendablePhone: count,
  }),
  phones: z.object({
    /** Distinct numbers per patient. */
    total: count,
    duplicates: count,
    notSendable: count,
    ninthDigitAdded: count,
    dddInferred: count,
    invalidInAcceptedRows: countsByCode,
    /** Numbers that belong to more than one patient of the list. */
    sharedByContacts: count,
    /** Numbers that opted out in the namespace (known only with a database; absent otherwise). */
    optedOut: count.optional(),
  }),
  warnings: z.object({ invalidBirthDates: count }),
  checkedAt: z.string(),
});

export type ListCheck = z.infer<typeof listCheckSchema>;

export interface CheckListOptions {
  format?: RequestedFormat;
  columnMapping?: ColumnMappingInput;
  /** "Today" for birth dates, and the report's time. */
  now?: Date;
}

export interface CheckedList {
  report: ListCheck;
  /** Every distinct number of the list (E.164), for the opt-out count. Never print or log them. */
  phoneNumbers: string[];
}

/** Reads the whole list as a campaign import would and counts the outcome. Throws the import's AppErrors. */
export async function checkPatientList(
  source: Readable | Buffer,
  options: CheckListOptions = {},
): Promise<CheckedList> {
  const now = options.now ?? new Date();
  const list = await openPatientList(source, {
    format: options.format ?? "auto",
    columnMapping: options.columnMapping,
    today: now,
  });
  const tally = new RowTally();
  const contacts = new Map<string, { phones: Set<string>; sendable: boolean }>();
  let mergedRows = 0;
  let duplicatePhonesAcrossRows = 0;
  let notSendable = 0;
  for await (const outcome of list.outcomes()) {
    tally.add(outcome);
    if (outcome.kind !== "patient") continue;
    const row = outcome.row;
    let contact = contacts.get(row.dedupeKey);
    if (contact) mergedRows += 1;
    else {
      contact = { phones: new Set(), sendable: false };
      contacts.set(row.dedupeKey, contact);
    }
    for (const phone of row.phones) {
      if (contact.phones.has(phone.e164)) {
        duplicatePhonesAcrossRows += 1;
        continue;
      }
      contact.phones.add(phone.e164);
      if (phone.sendable) contact.sendable = true;
      else notSendable += 1;
    }
  }
  const layout = list.columns();
  if (!layout) throw new AppError("IMPORT_NO_ROWS", "The patient list has no header row");

  const owners = new Map<string, number>();
  let phoneTotal = 0;
  let withoutSendablePhone = 0;
  for (const contact of contacts.values()) {
    phoneTotal += contact.phones.size;
    if (!contact.sendable) withoutSendablePhone += 1;
    for (const e164 of contact.phones) owners.set(e164, (owners.get(e164) ?? 0) + 1);
  }
  let sharedByContacts = 0;
  for (const n of owners.values()) if (n > 1) sharedByContacts += 1;

  const report: ListCheck = {
    checksum: await list.source.checksum(),
    format: list.source.format,
    source: {
      ...(list.details.encoding ? { encoding: list.details.encoding } : {}),
      ...(list.details.delimiter ? { delimiter: list.details.delimiter } : {}),
      ...(list.details.sheetName ? { sheetName: list.details.sheetName } : {}),
    },
    columns: describeColumns(layout),
    ...(options.columnMapping ? { columnMapping: mappingAsLists(options.columnMapping) } : {}),
    rows: {
      read: tally.read,
      blank: tally.blank,
      beforeHeader: list.beforeHeader(),
      accepted: tally.accepted,
      rejected: tally.rejected,
    },
    rejectedByReason: tally.rejectedByReason,
    contacts: { total: contacts.size, mergedRows, withoutSendablePhone },
    phones: {
      total: phoneTotal,
      duplicates: tally.duplicatePhonesInRows + duplicatePhonesAcrossRows,
      notSendable,
      ninthDigitAdded: tally.ninthDigitAdded,
      dddInferred: tally.dddInferred,
      invalidInAcceptedRows: tally.invalidInAcceptedRows,
      sharedByContacts,
    },
    warnings: { invalidBirthDates: tally.invalidBirthDates },
    checkedAt: now.toISOString(),
  };
  return { report, phoneNumbers: [...owners.keys()] };
}

function mappingAsLists(mapping: ColumnMappingInput): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [role, headers] of Object.entries(mapping)) {
    if (headers === undefined) continue;
    out[role] = typeof headers === "string" ? [headers] : [...headers];
  }
  return out;
}
