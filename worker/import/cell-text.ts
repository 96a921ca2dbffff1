/**
 * A cell as text, the way a person reads it in the spreadsheet: trimmed; whole numbers without ".0";
 * dates as dd/mm/yyyy (with HH:MM when the cell has a time).
 */
import type { CellValue } from "./sheet-row.js";

export function cellText(value: CellValue): string {
  if (value === null) return "";
  if (typeof value === "string") return value.trim();
  if (typeof value === "number") return Number.isInteger(value) ? value.toFixed(0) : String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  return formatDate(value);
}

function formatDate(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  const day = `${pad(date.getUTCDate())}/${pad(date.getUTCMonth() + 1)}/${date.getUTCFullYear()}`;
  const hasTime = date.getUTCHours() !== 0 || date.getUTCMinutes() !== 0;
  return hasTime ? `${day} ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}` : day;
}
