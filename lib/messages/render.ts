/**
 * Filling a message template for one contact. `{nome}` is the contact's name, `{procedimento}` the
 * procedure (or "o procedimento" when the list had none), any other `{column}` the value of that column of
 * the patient list. A placeholder with no value becomes empty text: the controller refuses templates whose
 * placeholders match no column before anything is sent, so this only happens for an empty cell.
 */
import { normalizeColumnName } from "../../crds/index.js";

export const PROCEDURE_FALLBACK = "o procedimento";

export interface TemplateValues {
  name: string;
  procedure: string | null;
  /** Other list columns, keyed by normalised header. */
  fields: Readonly<Record<string, unknown>>;
}

export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(/\{([^{}]+)\}/g, (whole, raw: string) => {
    const key = normalizeColumnName(raw);
    if (key === "") return whole;
    if (key === "nome") return values.name;
    if (key === "procedimento") return values.procedure?.trim() || PROCEDURE_FALLBACK;
    const value = values.fields[key];
    return value === undefined || value === null ? "" : String(value);
  });
}

/**
 * The wording for a contact: `template` and its `variants` rotated by the contact's position, so that not
 * every patient gets identical text (contact n gets wording n mod the number of wordings).
 */
export function pickWording(
  template: string,
  variants: readonly string[] | undefined,
  position: number,
): string {
  const wordings = [template, ...(variants ?? [])];
  return wordings[((position % wordings.length) + wordings.length) % wordings.length]!;
}
