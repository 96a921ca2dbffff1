/**
 * XLSX bytes to rows of the first sheet (the first tab, as Excel shows them), streaming with exceljs's
 * WorkbookReader. Cells keep their type: numbers stay numbers (a phone typed as a number), date cells
 * become Dates, formulas give their cached result, rich text and hyperlinks give their text.
 *
 * Memory stays flat in the number of rows: rows are not kept, the workbook's shared strings go to a
 * temporary file (shared-strings.ts), and exceljs parks the sheets in temporary files until the shared
 * strings have been read.
 */
import type { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { AppError } from "../../lib/errors.js";
import { SharedStringFile } from "./shared-strings.js";
import type { CellValue, SheetRow, SourceDetails } from "./sheet-row.js";

interface WorksheetLike {
  name?: string;
  [Symbol.asyncIterator](): AsyncIterator<{ number: number; values: unknown }>;
}

/** What WorkbookReader.parse() yields: worksheets (and more) as events, emitted shared strings bare. */
type ParseEvent = { eventType: string; value: unknown } | { index: number; text: unknown };

export async function* xlsxRows(stream: Readable, details: SourceDetails): AsyncGenerator<SheetRow> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, {
    worksheets: "emit",
    sharedStrings: "emit",
    styles: "cache",
    hyperlinks: "ignore",
    entries: "ignore",
  });
  const strings = new SharedStringFile();
  let read = false;
  try {
    const events = (reader as unknown as { parse(): AsyncIterable<ParseEvent> }).parse();
    for await (const event of events) {
      if ("index" in event) {
        strings.add(richText(event.text));
        continue;
      }
      if (event.eventType !== "worksheet") continue;
      const sheet = event.value as WorksheetLike;
      const firstTab = firstTabName(reader);
      if (read || (firstTab !== undefined && sheet.name !== firstTab)) {
        // Other sheets are read through to the end so the whole file is consumed (and hashed).
        for await (const _row of sheet) {
          // skipped
        }
        continue;
      }
      read = true;
      details.sheetName = sheet.name;
      for await (const row of sheet) {
        yield { rowNumber: row.number, cells: rowCells(row.values, strings) };
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError(
      "IMPORT_UNREADABLE_FILE",
      "The patient list could not be read as an XLSX workbook (damaged or not really XLSX): open it in Excel or LibreOffice, save it as .xlsx again, or export it as CSV",
    );
  } finally {
    strings.close();
  }
  if (!read) {
    throw new AppError(
      "IMPORT_EMPTY_FILE",
      "The XLSX workbook has no worksheet: put the patient list on its first sheet",
    );
  }
}

/** The name of the first tab in the workbook's own order, once workbook.xml has been read. */
function firstTabName(reader: unknown): string | undefined {
  const model = (reader as { model?: { sheets?: { name?: string }[] } }).model;
  return model?.sheets?.[0]?.name;
}

/** exceljs row values are 1-based and sparse; cells become plain values. */
function rowCells(values: unknown, strings: SharedStringFile): CellValue[] {
  if (!Array.isArray(values)) return [];
  const cells: CellValue[] = [];
  for (let i = 1; i < values.length; i++) cells.push(cellValue(values[i], strings));
  return cells;
}

export function cellValue(value: unknown, strings?: SharedStringFile): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (typeof v.sharedString === "number") return strings?.get(v.sharedString) ?? null;
    if (Array.isArray(v.richText)) return richText(v);
    if ("result" in v) return cellValue(v.result, strings);
    if ("formula" in v || "sharedFormula" in v) return null;
    if ("text" in v) return cellValue(v.text, strings);
    if ("error" in v) return null;
  }
  return null;
}

/** A shared string or rich-text value as plain text. */
function richText(value: unknown): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object" && Array.isArray((value as { richText?: unknown }).richText)) {
    return (value as { richText: { text?: unknown }[] }).richText
      .map((part) => (typeof part.text === "string" ? part.text : ""))
      .join("");
  }
  return "";
}
