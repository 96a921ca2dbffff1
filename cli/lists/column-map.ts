/**
 * `--map name=Header,phone=Header|Other header,...`: which list headers hold each column, as the
 * Campaign's `spec.audience.columnMapping`. Roles: name, phone, procedure, birthDate. `|` separates
 * several headers of one role (every phone column is read; for the others the last match wins).
 */
import type { ColumnRole } from "../../worker/import/index.js";

export type ColumnMapping = Partial<Record<ColumnRole, string[]>>;

const ROLES: Record<string, ColumnRole> = {
  name: "name",
  nome: "name",
  phone: "phone",
  telefone: "phone",
  procedure: "procedure",
  procedimento: "procedure",
  birthdate: "birthDate",
  "birth-date": "birthDate",
  nascimento: "birthDate",
};

/** The mapping, or a message saying what is wrong with the text. */
export function parseColumnMap(text: string): { mapping: ColumnMapping } | { error: string } {
  const mapping: ColumnMapping = {};
  for (const part of text.split(",")) {
    if (part.trim() === "") continue;
    const eq = part.indexOf("=");
    if (eq < 0) return { error: `"${part.trim()}" is not role=Header (e.g. name=Paciente,phone=Celular)` };
    const key = part.slice(0, eq).trim().toLowerCase();
    const role = ROLES[key];
    if (!role) {
      return { error: `unknown column role "${key}": use name, phone, procedure or birthDate` };
    }
    const headers = part
      .slice(eq + 1)
      .split("|")
      .map((h) => h.trim())
      .filter((h) => h !== "");
    if (headers.length === 0) return { error: `no header given for ${role}` };
    if (mapping[role]) return { error: `${role} is given twice: separate several headers with |` };
    mapping[role] = headers;
  }
  if (Object.keys(mapping).length === 0) return { error: "no column given (e.g. name=Paciente)" };
  return { mapping };
}
