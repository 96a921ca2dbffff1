/**
 * Patient names and duplicate detection.
 *
 * A name is stored as the list wrote it (spaces tidied), even when it starts with `=`, `+`, `-` or `@`:
 * exports neutralise such cells (lib/spreadsheet-cell.ts), storage does not change the data.
 *
 * Two rows are one patient when their names match ignoring case, accents and spacing and:
 * - both have the same birth date; or
 * - neither has a birth date and their first phone numbers are the same. Without a birth date, the
 *   name alone would merge namesakes ("José da Silva" is common), sending one patient's message to
 *   another's phone.
 */
const MISSING_NAMES = new Set(["", "nan", "null", "none", "-", "--", "#n/a", "n/a", "undefined"]);

/** The name as stored: whitespace runs collapsed, ends trimmed; null when the cell has no name. */
export function cleanName(text: string): string | null {
  const name = text.replace(/\s+/g, " ").trim();
  return MISSING_NAMES.has(name.toLowerCase()) ? null : name;
}

export function nameKey(name: string): string {
  return name.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase().replace(/\s+/g, " ").trim();
}

export function dedupeKey(name: string, birthDate: string | null, firstPhone: string): string {
  return birthDate ? `${nameKey(name)}|${birthDate}` : `${nameKey(name)}|phone:${firstPhone}`;
}
