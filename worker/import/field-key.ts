/**
 * The key a list column is stored under in `contacts.fields`, and the form a template placeholder is
 * compared in: the two must agree, so both use the CRD's `normalizeColumnName` (trimmed, lower-case,
 * runs of whitespace as one space; accents and punctuation kept). "Data da Consulta" is stored as
 * `data da consulta` and filled by `{Data da Consulta}` or `{data da consulta}`; "Médico" needs
 * `{médico}` (with the accent), because "medico" and "médico" are different words to the renderer.
 */
import { normalizeColumnName } from "../../crds/template.js";

export function fieldKey(headerOrPlaceholder: string): string {
  return normalizeColumnName(headerOrPlaceholder);
}
