/**
 * A birth date cell to an ISO date (`YYYY-MM-DD`), or why not. Accepted: XLSX date cells, Excel serial
 * numbers, day-first text (dd/mm/yyyy, dd-mm-yyyy, dd.mm.yyyy, with an optional time after it, and
 * two-digit years), and ISO text (yyyy-mm-dd). A date must exist in the calendar, be from 1900 on, and
 * not be after `today`. An unreadable date is not a reason to refuse the patient: it is left empty and
 * counted in the import report.
 */
import type { CellValue } from "./sheet-row.js";

export type BirthDateResult = { date: string | null; invalid: boolean };

const EMPTY: BirthDateResult = { date: null, invalid: false };
const INVALID: BirthDateResult = { date: null, invalid: true };
const EMPTY_TEXTS = new Set(["", "nan", "nat", "null", "none", "-", "--", "#n/a", "n/a"]);
/** Excel serial day 1 is 1900-01-01; its epoch (day 0) is 1899-12-30 once the 1900 leap-year bug is allowed for. */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30);
const DAY_MS = 86_400_000;

export function parseBirthDate(value: CellValue, today: Date): BirthDateResult {
  if (value === null || typeof value === "boolean") return value === null ? EMPTY : INVALID;
  if (value instanceof Date) {
    return checked(value.getUTCFullYear(), value.getUTCMonth() + 1, value.getUTCDate(), today);
  }
  if (typeof value === "number") return fromSerial(value, today);
  const text = value.trim();
  if (EMPTY_TEXTS.has(text.toLowerCase())) return EMPTY;
  const dayFirst =
    /^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4}|\d{2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/.exec(text);
  if (dayFirst) {
    const year = dayFirst[3]!.length === 2 ? fullYear(Number(dayFirst[3]), today) : Number(dayFirst[3]);
    return checked(year, Number(dayFirst[2]), Number(dayFirst[1]), today);
  }
  const iso = /^(\d{4})[-/](\d{2})[-/](\d{2})(?:[ T].*)?$/.exec(text);
  if (iso) return checked(Number(iso[1]), Number(iso[2]), Number(iso[3]), today);
  return INVALID;
}

function fromSerial(serial: number, today: Date): BirthDateResult {
  if (!Number.isFinite(serial) || serial < 1 || serial > 2_958_465) return INVALID;
  const date = new Date(EXCEL_EPOCH_MS + Math.floor(serial) * DAY_MS);
  return checked(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate(), today);
}

/** Two-digit years: the most recent year with those digits that is not in the future. */
function fullYear(twoDigits: number, today: Date): number {
  const century = Math.floor(today.getUTCFullYear() / 100) * 100;
  const candidate = century + twoDigits;
  return candidate > today.getUTCFullYear() ? candidate - 100 : candidate;
}

function checked(year: number, month: number, day: number, today: Date): BirthDateResult {
  const time = Date.UTC(year, month - 1, day);
  const date = new Date(time);
  const real =
    date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
  if (!real || year < 1900) return INVALID;
  const todayUtc = Date.UTC(today.getUTCFullYear(), today.getUTCMonth(), today.getUTCDate());
  if (time > todayUtc) return INVALID;
  const pad = (n: number) => String(n).padStart(2, "0");
  return { date: `${year}-${pad(month)}-${pad(day)}`, invalid: false };
}
