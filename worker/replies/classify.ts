import { normalizeReplyText } from "../../crds/index.js";

/**
 * Classifying a patient's reply. The whole message must equal one of a list's entries after normalisation
 * (case, accents, spaces, keycap emoji, surrounding punctuation): a sentence that merely contains "sim" is
 * not a SIM. Substring matching made the Celery system read "teste" as "S" and loop.
 */

export type ReplyClass = "confirm" | "decline" | "not_me" | "opt_out" | "other";

export interface ReplyKeywords {
  confirm: readonly string[];
  decline: readonly string[];
  notMe: readonly string[];
  optOut: readonly string[];
}

/** The one normalisation, shared with the API's keyword rules (crds/keywords.ts). */
export const normaliseReply = normalizeReplyText;

function matches(normalised: string, list: readonly string[]): boolean {
  return list.some((entry) => normaliseReply(entry) === normalised);
}

/** Opt-out wins over everything; then SIM, NÃO, DESCONHEÇO; anything else is "other". */
export function classifyReply(text: string, keywords: ReplyKeywords): ReplyClass {
  const normalised = normaliseReply(text);
  if (normalised === "") return "other";
  if (matches(normalised, keywords.optOut)) return "opt_out";
  if (matches(normalised, keywords.confirm)) return "confirm";
  if (matches(normalised, keywords.decline)) return "decline";
  if (matches(normalised, keywords.notMe)) return "not_me";
  return "other";
}

export interface ReasonOption {
  /** Stable code recorded as the decline reason, e.g. "health-problems". */
  code: string;
  keywords: readonly string[];
}

export interface DeclineReason {
  code: string;
  /** The patient's own words, when the reply chose no option. */
  text?: string;
}

/**
 * The decline reason for a reply to the reason question: the option whose keywords match, else
 * `freeTextCode` with the patient's words, trimmed and cut to `maxLength` characters.
 */
export function declineReasonFrom(
  text: string,
  options: readonly ReasonOption[],
  freeTextCode: string,
  maxLength = 200,
): DeclineReason {
  const normalised = normaliseReply(text);
  const option = options.find((o) => matches(normalised, o.keywords));
  if (option) return { code: option.code };
  const free = text.replace(/\s+/g, " ").trim();
  return { code: freeTextCode, text: free.length > maxLength ? free.slice(0, maxLength) : free };
}
