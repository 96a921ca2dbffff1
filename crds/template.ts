/**
 * Message templates: text with `{placeholder}`s filled from the patient list. `{nome}` and
 * `{procedimento}` are the mapped name and procedure columns; any other placeholder names a column of
 * the list by its header (compared like headers are: trimmed, lower-case, spaces collapsed).
 */
import { text } from "./common.js";
import { matchesRule, withRules } from "./rules.js";

/** Placeholders every list has, whatever its headers are called. */
export const BUILT_IN_PLACEHOLDERS = ["nome", "procedimento"] as const;

/** WhatsApp's limit for one text message. */
export const TEMPLATE_MAX_LENGTH = 4096;

const EMPTY_PLACEHOLDER = "\\{[ \\t]*\\}";
const UNCLOSED_PLACEHOLDER = "\\{[^}]*(\\{|$)";
const SOME_TEXT = "[^ \\t\\r\\n]";

/** A template schema with the checks the API server can make. */
export function template(description: string) {
  return withRules(text({ min: 1, max: TEMPLATE_MAX_LENGTH }), [
    matchesRule(SOME_TEXT, "must not be empty: write the message text"),
    negated(
      EMPTY_PLACEHOLDER,
      "must not contain an empty placeholder {}: write a column name inside, e.g. {nome}",
    ),
    negated(
      UNCLOSED_PLACEHOLDER,
      "must close every placeholder: each { needs a matching } before the next {, e.g. {procedimento}",
    ),
  ]).meta({ description });
}

function negated(source: string, message: string) {
  const rule = matchesRule(source, message);
  const re = new RegExp(source);
  return { rule: `!${rule.rule}`, message, holds: (s: string) => !re.test(s) };
}

/** Normalises a header or placeholder name the way both are compared. */
export function normalizeColumnName(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, " ");
}

/** The distinct placeholder names used in a template, normalised, in order of first use. */
export function templatePlaceholders(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(/\{([^{}]+)\}/g)) {
    const name = normalizeColumnName(match[1] ?? "");
    if (name !== "") names.add(name);
  }
  return [...names];
}

/** Placeholders of a template that are neither built in nor among the given list columns. */
export function unknownPlaceholders(template: string, columns: readonly string[]): string[] {
  const known = new Set<string>([...BUILT_IN_PLACEHOLDERS, ...columns.map(normalizeColumnName)]);
  return templatePlaceholders(template).filter((name) => !known.has(name));
}
