/**
 * The streaming, database-free half of the import: a CSV or XLSX source to one outcome per data row
 * (patient, rejected row, or blank row). Rows are read as they are needed; nothing holds the whole list.
 *
 * The header row is the first of the first 10 non-blank rows that has a name and a phone column, so a
 * title or a note above the headers does not stop the import (those rows are counted as
 * `beforeHeader`).
 */
import type { Readable } from "node:stream";
import { AppError } from "../../lib/errors.js";
import {
  resolveColumns,
  missingColumnsError,
  type ColumnLayout,
  type ColumnMappingInput,
} from "./columns.js";
import { csvRows } from "./csv-rows.js";
import { readPatientRow, type RowOutcome } from "./patient-row.js";
import { isBlankCell, type SheetRow, type SourceDetails } from "./sheet-row.js";
import { openListSource, type ListSource, type RequestedFormat } from "./source.js";
import { xlsxRows } from "./xlsx-rows.js";

export const HEADER_SEARCH_ROWS = 10;

export interface ReadListOptions {
  /** Default "auto": XLSX when the bytes are a ZIP archive, else CSV. */
  format?: RequestedFormat;
  columnMapping?: ColumnMappingInput;
  /** "Today" for birth dates (none may be later); default the current date. */
  today?: Date;
}

export interface PatientList {
  source: ListSource;
  /** Filled while reading: encoding and delimiter (CSV), sheet name (XLSX). */
  details: SourceDetails;
  /** Known once the first outcome was produced (or the list was found to be empty). */
  columns(): ColumnLayout | undefined;
  /** Non-blank rows above the header row. */
  beforeHeader(): number;
  /** One outcome per row after the header row; throws AppError for files that cannot be imported. */
  outcomes(): AsyncGenerator<RowOutcome>;
}

export async function openPatientList(
  input: Readable | Buffer,
  options: ReadListOptions = {},
): Promise<PatientList> {
  const source = await openListSource(input, options.format ?? "auto");
  const details: SourceDetails = { format: source.format };
  const today = options.today ?? new Date();
  let layout: ColumnLayout | undefined;
  let beforeHeader = 0;

  async function* outcomes(): AsyncGenerator<RowOutcome> {
    const rows =
      source.format === "xlsx" ? xlsxRows(source.stream, details) : csvRows(source.stream, details);
    const pending: SheetRow[] = [];
    let nonBlankSeen = 0;
    let dataRows = 0;
    for await (const row of rows) {
      if (!layout) {
        if (row.cells.every(isBlankCell)) continue;
        nonBlankSeen += 1;
        const resolved = resolveColumns(row.cells, row.rowNumber, options.columnMapping);
        if ("missing" in resolved) {
          pending.push(row);
          if (nonBlankSeen >= HEADER_SEARCH_ROWS) throw headerError(pending, options.columnMapping);
          continue;
        }
        layout = resolved;
        beforeHeader = pending.length;
        pending.length = 0;
        continue;
      }
      const outcome = readPatientRow(row.cells, row.rowNumber, layout, today);
      if (outcome.kind !== "blank") dataRows += 1;
      yield outcome;
    }
    if (!layout) {
      if (pending.length === 0) {
        throw new AppError(
          "IMPORT_EMPTY_FILE",
          "The patient list has no rows: it needs a header row (with name and phone columns) and one row per patient",
        );
      }
      throw headerError(pending, options.columnMapping);
    }
    if (dataRows === 0) {
      throw new AppError(
        "IMPORT_NO_ROWS",
        `The patient list has a header row (row ${layout.headerRow}) but no patient rows after it: add the patients below the headers`,
      );
    }
  }

  return {
    source,
    details,
    columns: () => layout,
    beforeHeader: () => beforeHeader,
    outcomes,
  };
}

/** Rows of a list as outcomes, for callers that only need the rows (previews, benchmarks, tests). */
export async function* parsePatientRows(
  input: Readable | Buffer,
  options: ReadListOptions = {},
): AsyncGenerator<RowOutcome> {
  const list = await openPatientList(input, options);
  yield* list.outcomes();
}

function headerError(candidates: SheetRow[], mapping: ColumnMappingInput | undefined): AppError {
  const first = candidates[0]!;
  const resolved = resolveColumns(first.cells, first.rowNumber, mapping);
  const missing = "missing" in resolved ? resolved.missing : (["name", "phone"] as const).slice();
  return missingColumnsError([...missing], first.cells, mapping);
}
