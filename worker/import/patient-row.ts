/**
 * One data row of a patient list to a patient, a rejection with its reason, or a blank row. Pure.
 */
import {
  parsePhoneCell,
  type NormalisedPhone,
  type PhoneRejectionReason,
  type RejectedPhoneToken,
} from "../../lib/phone/index.js";
import { parseBirthDate } from "./birth-date.js";
import { cellText } from "./cell-text.js";
import type { ColumnLayout } from "./columns.js";
import { cleanName, dedupeKey } from "./name.js";
import { cleanProcedure } from "./procedure.js";
import { isBlankCell, type CellValue } from "./sheet-row.js";

export const ROW_REJECTION_REASONS = [
  "EMPTY_NAME",
  "NO_PHONE",
  "NO_VALID_PHONE",
  "CELL_TOO_LONG",
  "INVALID_DDD",
  "MISSING_DDD",
  "TOO_SHORT",
  "TOO_LONG",
  "INVALID_NUMBER",
  "SERVICE_NUMBER",
  "FOREIGN_NUMBER",
  "PRECISION_LOST",
] as const satisfies readonly (string | PhoneRejectionReason)[];
export type RowRejectionReason = (typeof ROW_REJECTION_REASONS)[number];

/** Longest accepted cell texts; a longer cell refuses the row (CELL_TOO_LONG). */
export const CELL_LIMITS = { name: 200, phone: 300, procedure: 500, other: 2000 } as const;
/** Longest text kept per cell in a rejection's copy of the row. */
const RAW_CELL_LIMIT = 500;

export interface PatientRow {
  sourceRow: number;
  name: string;
  /** ISO date or null. */
  birthDate: string | null;
  procedure: string | null;
  fields: Record<string, string>;
  /** Distinct phones in column and cell order; the first one is the main one. */
  phones: NormalisedPhone[];
  dedupeKey: string;
  /** Parts of phone cells that were not a number (the row was kept for its other phones). */
  invalidPhones: RejectedPhoneToken[];
  /** Numbers written twice for this patient. */
  duplicatePhones: number;
  /** The birth date cell had something that is not a date. */
  invalidBirthDate: boolean;
}

export interface RejectedRow {
  sourceRow: number;
  reasonCode: RowRejectionReason;
  /** For the operator: which column and what was wrong, in English. Stored in PostgreSQL only. */
  reason: string;
  /** The row's cells by header (long cells shortened). Stored in PostgreSQL only. */
  raw: Record<string, string | number | boolean | null>;
}

export type RowOutcome =
  | { kind: "blank"; sourceRow: number }
  | { kind: "patient"; row: PatientRow }
  | { kind: "rejected"; rejection: RejectedRow };

export function readPatientRow(
  cells: readonly CellValue[],
  sourceRow: number,
  layout: ColumnLayout,
  today: Date,
): RowOutcome {
  if (cells.every(isBlankCell)) return { kind: "blank", sourceRow };
  const reject = (reasonCode: RowRejectionReason, reason: string): RowOutcome => ({
    kind: "rejected",
    rejection: { sourceRow, reasonCode, reason, raw: rawRow(cells, layout) },
  });
  const tooLong = longCell(cells, layout);
  if (tooLong) return reject("CELL_TOO_LONG", tooLong);

  const name = cleanName(cellText(cells[layout.name] ?? null));
  if (name === null) return reject("EMPTY_NAME", `The name column "${layout.headers[layout.name]}" is empty`);

  const phoneCells = layout.phone.map((i) => cells[i] ?? null).filter((c) => !isBlankCell(c));
  if (phoneCells.length === 0) {
    return reject("NO_PHONE", `The phone column${layout.phone.length > 1 ? "s are" : " is"} empty`);
  }
  const phones: NormalisedPhone[] = [];
  const invalidPhones: RejectedPhoneToken[] = [];
  let duplicatePhones = 0;
  for (const cell of phoneCells) {
    const parsed = parsePhoneCell(typeof cell === "number" ? cell : cellText(cell));
    duplicatePhones += parsed.duplicates;
    invalidPhones.push(...parsed.rejected);
    for (const phone of parsed.phones) {
      if (phones.some((p) => p.e164 === phone.e164)) duplicatePhones += 1;
      else phones.push(phone);
    }
  }
  if (phones.length === 0) {
    const reasons = [...new Set(invalidPhones.map((t) => t.reason))];
    const code: RowRejectionReason = reasons.length === 1 ? reasons[0]! : "NO_VALID_PHONE";
    const detail = invalidPhones.map((t) => `"${t.raw}": ${t.reason}`).join("; ");
    return reject(code, `No valid phone number (${detail || "no digits"})`);
  }

  const birth =
    layout.birthDate === null
      ? { date: null, invalid: false }
      : parseBirthDate(cells[layout.birthDate] ?? null, today);
  const procedure =
    layout.procedure === null ? null : cleanProcedure(cellText(cells[layout.procedure] ?? null));
  const fields: Record<string, string> = {};
  for (const { index, key } of layout.fields) {
    const text = cellText(cells[index] ?? null);
    if (text !== "") fields[key] = text;
  }
  return {
    kind: "patient",
    row: {
      sourceRow,
      name,
      birthDate: birth.date,
      procedure,
      fields,
      phones,
      dedupeKey: dedupeKey(name, birth.date, phones[0]!.e164),
      invalidPhones,
      duplicatePhones,
      invalidBirthDate: birth.invalid,
    },
  };
}

function longCell(cells: readonly CellValue[], layout: ColumnLayout): string | undefined {
  for (let i = 0; i < cells.length; i++) {
    const value = cells[i];
    if (typeof value !== "string") continue;
    const limit =
      i === layout.name
        ? CELL_LIMITS.name
        : layout.phone.includes(i)
          ? CELL_LIMITS.phone
          : i === layout.procedure
            ? CELL_LIMITS.procedure
            : CELL_LIMITS.other;
    if (value.length > limit) {
      const header = layout.headers[i] || `column ${i + 1}`;
      return `The cell in column "${header}" has ${value.length} characters; at most ${limit} are accepted`;
    }
  }
  return undefined;
}

function rawRow(cells: readonly CellValue[], layout: ColumnLayout): RejectedRow["raw"] {
  const raw: RejectedRow["raw"] = {};
  cells.forEach((value, i) => {
    let key = layout.headers[i] || `column ${i + 1}`;
    if (key in raw) key = `${key} (column ${i + 1})`;
    if (value instanceof Date) raw[key] = value.toISOString();
    else if (typeof value === "string" && value.length > RAW_CELL_LIMIT) {
      raw[key] = `${value.slice(0, RAW_CELL_LIMIT)}… [${value.length - RAW_CELL_LIMIT} more characters]`;
    } else raw[key] = value;
  });
  return raw;
}
