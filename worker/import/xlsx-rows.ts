/**
 * XLSX bytes to rows of the first sheet (the first tab, as Excel shows them), streaming with exceljs's
 * WorkbookReader. Cells keep their type: numbers stay numbers (a phone typed as a number), date cells
 * become Dates, formulas give their cached result, rich text and hyperlinks give their text.
 *
 * Memory: rows are not kept, but XLSX stores text once in a shared-strings table that must be held
 * while the sheet is read, so memory grows with the amount of distinct text in the file.
 */
import type { Readable } from "node:stream";
import ExcelJS from "exceljs";
import { AppError } from "../../lib/errors.js";
import type { CellValue, SheetRow, SourceDetails } from "./sheet-row.js";

interface WorksheetLike {
  name?: string;
  [Symbol.asyncIterator](): AsyncIterator<{ number: number; values: unknown }>;
}

export async function* xlsxRows(stream: Readable, details: SourceDetails): AsyncGenerator<SheetRow> {
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, {
    worksheets: "emit",
    sharedStrings: "cache",
    styles: "cache",
    hyperlinks: "ignore",
    entries: "ignore",
  });
  let firstSheetName: string | undefined;
  let read = false;
  try {
    for await (const sheet of reader as AsyncIterable<WorksheetLike>) {
      firstSheetName ??= firstTabName(reader);
      const isFirst = !read && (firstSheetName === undefined || sheet.name === firstSheetName);
      if (!isFirst) {
        // Other sheets are read through to the end so the whole file is consumed (and hashed).
        for await (const _row of sheet) {
          // skipped
        }
        continue;
      }
      read = true;
      details.sheetName = sheet.name;
      for await (const row of sheet) {
        yield { rowNumber: row.number, cells: rowCells(row.values) };
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError(
      "IMPORT_UNREADABLE_FILE",
      "The patient list could not be read as an XLSX workbook (damaged or not really XLSX): open it in Excel or LibreOffice, save it as .xlsx again, or export it as CSV",
    );
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
function rowCells(values: unknown): CellValue[] {
  if (!Array.isArray(values)) return [];
  const cells: CellValue[] = [];
  for (let i = 1; i < values.length; i++) cells.push(cellValue(values[i]));
  return cells;
}

export function cellValue(value: unknown): CellValue {
  if (value === null || value === undefined) return null;
  if (typeof value === "string" || typeof value === "number" || typeof value === "boolean") return value;
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value;
  if (typeof value === "object") {
    const v = value as Record<string, unknown>;
    if (Array.isArray(v.richText)) {
      return (v.richText as { text?: unknown }[]).map((part) => String(part.text ?? "")).join("");
    }
    if ("result" in v) return cellValue(v.result);
    if ("formula" in v || "sharedFormula" in v) return null;
    if ("text" in v) return cellValue(v.text);
    if ("error" in v) return null;
  }
  return null;
}
