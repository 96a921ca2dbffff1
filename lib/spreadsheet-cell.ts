/**
 * Spreadsheet formula injection ("CSV injection"): a cell whose text starts with `=`, `+`, `-` or `@`
 * (or a tab or carriage return, or their full-width forms) is run as a formula when a CSV or XLSX export
 * is opened in Excel or LibreOffice. Patient names are stored exactly as the hospital's list had them;
 * every export passes each text cell through `neutraliseSpreadsheetCell`, which prefixes such a text
 * with a single quote so it shows as text. Non-text values (numbers, dates, booleans) are never formulas
 * and pass unchanged.
 */
const FORMULA_START = /^[=+\-@\t\r\uFF1D\uFF0B\uFF0D\uFF20]/;

export function neutraliseSpreadsheetCell<T>(value: T): T | string {
  if (typeof value !== "string") return value;
  return FORMULA_START.test(value) ? `'${value}` : value;
}

/** Whether a text would be read as a formula by a spreadsheet program. */
export function looksLikeFormula(value: string): boolean {
  return FORMULA_START.test(value);
}
