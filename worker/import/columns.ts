/**
 * Which column holds what. Headers are matched against aliases (the Celery system's, from the CRD's
 * defaults, or the campaign's `columnMapping`) ignoring case, accents, spacing, `_`, `-` and `.`:
 * "Data_Nascimento", "data nascimento" and "DATA NASCIMENTO" are one header.
 *
 * - name, procedure, birth date: when several headers match, the last one wins (as in the Celery
 *   system and the CRD's documentation);
 * - phone: every matching column is read ("Telefone" and "Celular" side by side is common), in order.
 * Every column except the phone columns is also kept in the contact's `fields` for template
 * placeholders, under its field key (see field-key.ts).
 */
import { DEFAULT_COLUMN_ALIASES } from "../../crds/defaults.js";
import { AppError } from "../../lib/errors.js";
import { fieldKey } from "./field-key.js";
import { cellText } from "./cell-text.js";
import type { CellValue } from "./sheet-row.js";

export type ColumnRole = "name" | "phone" | "procedure" | "birthDate";

/** Header names per role; a role given here replaces its default aliases. */
export type ColumnMappingInput = Partial<Record<ColumnRole, string | readonly string[]>>;

export interface ColumnLayout {
  /** Row number of the header row. */
  headerRow: number;
  /** The header texts, trimmed, by column index. */
  headers: string[];
  name: number;
  phone: number[];
  procedure: number | null;
  birthDate: number | null;
  /** Columns kept for placeholders: index and field key. */
  fields: { index: number; key: string }[];
}

const ROLES: ColumnRole[] = ["name", "phone", "procedure", "birthDate"];

/** The form headers and aliases are compared in. */
export function headerKey(text: string): string {
  return text
    .normalize("NFD")
    .replace(/\p{M}/gu, "")
    .toLowerCase()
    .replace(/[_\-.]+/g, " ")
    .replace(/\s+/g, " ")
    .trim();
}

export function aliasesFor(role: ColumnRole, mapping: ColumnMappingInput = {}): string[] {
  const given = mapping[role];
  if (given === undefined) return [...DEFAULT_COLUMN_ALIASES[role]];
  return typeof given === "string" ? [given] : [...given];
}

/** The layout of a header row, or the required roles it lacks. */
export function resolveColumns(
  headerCells: readonly CellValue[],
  headerRow: number,
  mapping: ColumnMappingInput = {},
): ColumnLayout | { missing: ColumnRole[] } {
  const headers = headerCells.map((c) => cellText(c));
  const keys = headers.map(headerKey);
  const claimed = new Set<number>();
  const matches = (role: ColumnRole): number[] => {
    const wanted = new Set(aliasesFor(role, mapping).map(headerKey));
    return keys.flatMap((k, i) => (k !== "" && wanted.has(k) && !claimed.has(i) ? [i] : []));
  };
  // Roles the mapping names explicitly choose first, so a default alias never takes their column.
  const order = [...ROLES].sort(
    (a, b) => Number(mapping[b] !== undefined) - Number(mapping[a] !== undefined),
  );
  const found: Partial<Record<ColumnRole, number[]>> = {};
  for (const role of order) {
    const columns = matches(role);
    const chosen = role === "phone" ? columns : columns.slice(-1);
    chosen.forEach((i) => claimed.add(i));
    found[role] = chosen;
  }
  const missing = (["name", "phone"] as const).filter((role) => (found[role] ?? []).length === 0);
  if (missing.length > 0) return { missing };

  const phone = found.phone!;
  const usedKeys = new Set<string>();
  const fields = headers.flatMap((header, index) => {
    if (phone.includes(index)) return [];
    let key = header === "" ? `column ${index + 1}` : fieldKey(header);
    for (let n = 2; usedKeys.has(key); n++) key = `${fieldKey(header) || `column ${index + 1}`} ${n}`;
    usedKeys.add(key);
    return [{ index, key }];
  });
  return {
    headerRow,
    headers,
    name: found.name![0]!,
    phone,
    procedure: found.procedure?.[0] ?? null,
    birthDate: found.birthDate?.[0] ?? null,
    fields,
  };
}

/**
 * The error for a list whose header row lacks required columns; names the headers found and the
 * aliases accepted. Error messages reach Kubernetes status, so when the "header" row looks like a
 * patient (a phone number, a date), its cells are not quoted.
 */
export function missingColumnsError(
  missing: ColumnRole[],
  headerCells: readonly CellValue[],
  mapping: ColumnMappingInput = {},
): AppError {
  const headers = headerCells.map((c) => cellText(c)).filter((h) => h !== "");
  const needs = missing
    .map((role) => {
      const label = role === "name" ? "the patient's name" : "the phone numbers";
      return `${label} (a header named ${aliasesFor(role, mapping).join(", ")}; or set columnMapping.${role})`;
    })
    .join(" and ");
  if (looksLikePatientData(headerCells)) {
    return new AppError(
      "IMPORT_MISSING_COLUMNS",
      `The patient list has no column for ${needs}. Its first row looks like patient data, not headers (not shown here): add a header row.`,
      { missing },
    );
  }
  const found = headers.length > 0 ? headers.map((h) => `"${h.slice(0, 60)}"`).join(", ") : "none";
  return new AppError(
    "IMPORT_MISSING_COLUMNS",
    `The patient list has no column for ${needs}. Headers found: ${found}.`,
    { missing, headersFound: headers },
  );
}

/** A row with a phone-like number or a date in it is data, not a header row. */
function looksLikePatientData(cells: readonly CellValue[]): boolean {
  return cells.some(
    (c) =>
      c instanceof Date ||
      typeof c === "number" ||
      (typeof c === "string" &&
        (/\d{4}/.test(c.replace(/[\s().-]/g, "")) || /\d{1,2}\/\d{1,2}\/\d{2,4}/.test(c))),
  );
}
