/** Patient-list import: CSV and XLSX to contacts, phones and rejected rows. See docs/import.md. */
export { importPatientList, type ImportPatientListOptions } from "./import-patient-list.js";
export {
  openPatientList,
  parsePatientRows,
  HEADER_SEARCH_ROWS,
  type PatientList,
  type ReadListOptions,
} from "./parse-patient-rows.js";
export { importReportSchema, type ImportReport } from "./report.js";
export {
  readPatientRow,
  ROW_REJECTION_REASONS,
  CELL_LIMITS,
  type PatientRow,
  type RejectedRow,
  type RowOutcome,
  type RowRejectionReason,
} from "./patient-row.js";
export {
  resolveColumns,
  headerKey,
  aliasesFor,
  type ColumnLayout,
  type ColumnMappingInput,
  type ColumnRole,
} from "./columns.js";
export { fieldKey } from "./field-key.js";
export { parseBirthDate } from "./birth-date.js";
export { cleanProcedure } from "./procedure.js";
export { cleanName, dedupeKey, nameKey } from "./name.js";
export { ListTextDecoder, type TextEncoding } from "./decode.js";
export { detectDelimiter } from "./csv-rows.js";
export type { CellValue, SheetRow, SourceDetails } from "./sheet-row.js";
export type { ListFormat, RequestedFormat } from "./source.js";
