/**
 * Export files, written row by row:
 * - CSV for Excel pt-BR: UTF-8 with a BOM (so Excel reads the accents), `;` as the delimiter (the comma is
 *   the decimal separator in pt-BR), CRLF line ends, fields quoted when they hold `;`, `"` or a line break;
 * - XLSX with exceljs's streaming writer (rows are flushed as they are committed; inline strings, no
 *   shared-strings table held in memory), a frozen header row, real date cells shown as dd/mm/aaaa.
 * Both write to a stream the caller opened (a private file), and wait for it on close.
 */
import { once } from "node:events";
import type { Writable } from "node:stream";
import { finished } from "node:stream/promises";
import ExcelJS from "exceljs";
import { cellText, type ExportCell } from "./columns.js";

export type ExportFormat = "csv" | "xlsx";

export interface ExportWriter {
  writeRow(cells: readonly ExportCell[]): Promise<void>;
  close(): Promise<void>;
}

export const CSV_DELIMITER = ";";
const BOM = "\uFEFF";

export function csvField(text: string): string {
  return /[;"\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvLine(cells: readonly ExportCell[]): string {
  return cells.map((c) => csvField(cellText(c))).join(CSV_DELIMITER) + "\r\n";
}

export class CsvExportWriter implements ExportWriter {
  private constructor(private readonly out: Writable) {}

  static async open(out: Writable, header: readonly string[]): Promise<CsvExportWriter> {
    const writer = new CsvExportWriter(out);
    await writer.write(BOM + csvLine(header));
    return writer;
  }

  async writeRow(cells: readonly ExportCell[]): Promise<void> {
    await this.write(csvLine(cells));
  }

  private async write(text: string): Promise<void> {
    if (!this.out.write(text, "utf8")) await once(this.out, "drain");
  }

  async close(): Promise<void> {
    this.out.end();
    await finished(this.out);
  }
}

const DATE_FORMAT = "dd/mm/yyyy";
const DATE_TIME_FORMAT = "dd/mm/yyyy hh:mm";

export class XlsxExportWriter implements ExportWriter {
  private constructor(
    private readonly out: Writable,
    private readonly workbook: ExcelJS.stream.xlsx.WorkbookWriter,
    private readonly sheet: ExcelJS.Worksheet,
  ) {}

  static open(out: Writable, header: readonly string[], sheetName = "Resultados"): XlsxExportWriter {
    const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({
      stream: out,
      useStyles: true,
      useSharedStrings: false,
    });
    const sheet = workbook.addWorksheet(sheetName, { views: [{ state: "frozen", ySplit: 1 }] });
    sheet.columns = header.map((h) => ({ header: h, width: Math.max(12, h.length + 4) }));
    sheet.getRow(1).font = { bold: true };
    sheet.getRow(1).commit();
    return new XlsxExportWriter(out, workbook, sheet);
  }

  async writeRow(cells: readonly ExportCell[]): Promise<void> {
    const row = this.sheet.addRow(cells.map(xlsxValue));
    cells.forEach((cell, i) => {
      if (typeof cell === "object")
        row.getCell(i + 1).numFmt = cell.kind === "date" ? DATE_FORMAT : DATE_TIME_FORMAT;
    });
    row.commit();
    // Let the file stream drain between rows when it is behind (exceljs does not wait for it).
    if (this.out.writableNeedDrain) await once(this.out, "drain");
  }

  async close(): Promise<void> {
    this.sheet.commit();
    await this.workbook.commit();
    await finished(this.out);
  }
}

/** Dates as Excel date cells holding the local wall-clock time (exceljs writes a Date's UTC fields). */
function xlsxValue(cell: ExportCell): string | number | Date {
  if (typeof cell !== "object") return cell;
  return cell.kind === "date"
    ? new Date(Date.UTC(cell.year, cell.month - 1, cell.day))
    : new Date(Date.UTC(cell.year, cell.month - 1, cell.day, cell.hour, cell.minute));
}
