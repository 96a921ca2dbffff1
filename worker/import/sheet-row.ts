/** The common shape CSV and XLSX rows are read into before they become patients. */

/** One cell: text (CSV and XLSX text cells), number, boolean and date (XLSX typed cells), or empty. */
export type CellValue = string | number | boolean | Date | null;

export interface SheetRow {
  /** The row number a person sees in a spreadsheet program (header is usually 1). */
  rowNumber: number;
  cells: CellValue[];
}

/** What was learnt about the file while reading it; no patient data. */
export interface SourceDetails {
  format: "csv" | "xlsx";
  /** CSV only. */
  encoding?: string;
  /** CSV only. */
  delimiter?: string;
  /** XLSX only: the name of the sheet read (the first one). */
  sheetName?: string;
}

export function isBlankCell(value: CellValue): boolean {
  return value === null || (typeof value === "string" && value.trim() === "");
}
