/**
 * Validation rules written once and checked twice: by the API server as CEL
 * (`x-kubernetes-validations`) and by the runtime parse as the same predicate in TypeScript, so the
 * controller refuses exactly what the API server refuses.
 */
import type { z } from "zod";

export type RuleReason =
  "FieldValueInvalid" | "FieldValueRequired" | "FieldValueForbidden" | "FieldValueDuplicate";

export interface ValidationRule<T> {
  /** CEL expression; `self` is the value of the field the rule is attached to. */
  rule: string;
  /** What the API server (and the runtime parse) says when the rule fails: plain words for a person. */
  message: string;
  /** Where the error is reported, relative to the field the rule is on, e.g. ".end". */
  fieldPath?: string;
  reason?: RuleReason;
  /**
   * The same rule in TypeScript. Left out only for transition rules (those that read `oldSelf`),
   * which only the API server can check.
   */
  holds?: (value: T) => boolean;
}

/** The CEL rule as it appears in the CRD. */
export interface CelValidation {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: RuleReason;
}

export const VALIDATIONS_KEY = "x-kubernetes-validations";

/** Attaches rules to a schema: CEL for the CRD (through `.meta()`) and a refinement for the parse. */
export function withRules<S extends z.ZodType>(schema: S, rules: readonly ValidationRule<z.output<S>>[]): S {
  const previous = (schema.meta()?.[VALIDATIONS_KEY] as CelValidation[] | undefined) ?? [];
  const refined = schema.superRefine((value, ctx) => {
    for (const r of rules) {
      if (r.holds && !r.holds(value)) {
        ctx.addIssue({
          code: "custom",
          message: r.message,
          path: fieldPathToPath(r.fieldPath),
          input: value,
        });
      }
    }
  });
  return refined.meta({ [VALIDATIONS_KEY]: [...previous, ...rules.map(toCel)] }) as S;
}

function toCel<T>(r: ValidationRule<T>): CelValidation {
  const cel: CelValidation = { rule: r.rule, message: r.message };
  if (r.fieldPath !== undefined) cel.fieldPath = r.fieldPath;
  if (r.reason !== undefined) cel.reason = r.reason;
  return cel;
}

/** ".message.metaTemplate" -> ["message", "metaTemplate"]. */
export function fieldPathToPath(fieldPath: string | undefined): string[] {
  if (!fieldPath) return [];
  return fieldPath.split(".").filter((part) => part !== "");
}

/** A CEL string literal for a regular expression (raw, so backslashes stay as written). */
export function celRegex(source: string): string {
  if (source.includes("'")) throw new Error(`A CEL regex may not contain a single quote: ${source}`);
  return `r'${source}'`;
}

/**
 * `self.matches(<re>)` and its TypeScript twin. The expressions used here are written in the common
 * subset of RE2 (CEL) and ECMAScript, so both engines agree.
 */
export function matchesRule(source: string, message: string): ValidationRule<string> {
  const re = new RegExp(source);
  return { rule: `self.matches(${celRegex(source)})`, message, holds: (s) => re.test(s) };
}

/** A transition rule: the field may not change once set. Only the API server checks it. */
export function immutableRule(message: string): ValidationRule<unknown> {
  return { rule: "self == oldSelf", message };
}
