/**
 * One Brazilian phone number, as written by a person or a spreadsheet, to canonical E.164 with the
 * mobile 9th digit (`+5585987654321`). Pure: the same text always gives the same answer.
 *
 * What is accepted (see docs/import.md for the reasoning):
 * - `+55`, `55`, `0055` or no country code; DDD 55 (Rio Grande do Sul) written without the country code
 *   (11 digits starting with 55 are DDD 55, never country code 55 plus 9 digits);
 * - leading zeros of national dialling (`0 85 ...`, `085...`) and a carrier code after the zero
 *   (`0 21 85 ...`, `0xx85...`);
 * - old 8-digit mobiles (first digit 6-9) get their 9th digit;
 * - landlines are kept as `fixed_line`, not sendable.
 * Refused, with a reason: unknown DDDs, service numbers (0800, 4004...), foreign numbers, wrong lengths,
 * and numbers the numbering plan (libphonenumber-js full metadata) does not know.
 */
import { parsePhoneNumberFromString } from "libphonenumber-js/max";
import { isValidDdd } from "./ddd.js";

export type LineType = "mobile" | "fixed_line" | "other";

export const PHONE_REJECTION_REASONS = [
  "TOO_SHORT",
  "TOO_LONG",
  "MISSING_DDD",
  "INVALID_DDD",
  "INVALID_NUMBER",
  "SERVICE_NUMBER",
  "FOREIGN_NUMBER",
  "PRECISION_LOST",
] as const;
export type PhoneRejectionReason = (typeof PHONE_REJECTION_REASONS)[number];

export interface NormalisedPhone {
  /** Canonical E.164 with the 9th digit for mobiles, e.g. `+5585987654321`. */
  e164: string;
  /** The text it came from, as written in the cell. */
  raw: string;
  ddd: string;
  lineType: LineType;
  /** Only mobiles are sent to; landlines and other lines are kept for the record. */
  sendable: boolean;
  /** An old 8-digit mobile that was given its 9th digit. */
  ninthDigitAdded: boolean;
  /** Written without DDD; the DDD of the number before it in the same cell was used. */
  dddInferred: boolean;
}

export type PhoneResult =
  { ok: true; phone: NormalisedPhone } | { ok: false; raw: string; reason: PhoneRejectionReason };

export interface NormalisePhoneOptions {
  /** DDD to use for a number written without one (the previous number's DDD in the same cell). */
  inheritedDdd?: string;
}

/** Toll-free, shared-cost and premium numbers: companies, never a patient's phone. */
const SERVICE_NUMBER = /^0[3589]00\d{6,7}$|^[3589]00\d{7}$|^[34]00[0-9]\d{4}$/;

export function normalisePhone(raw: string, options: NormalisePhoneOptions = {}): PhoneResult {
  const refuse = (reason: PhoneRejectionReason): PhoneResult => ({ ok: false, raw, reason });
  const cleaned = raw.replace(/0\s*x\s*x\s*/gi, "0");
  const digits = cleaned.replace(/\D/g, "");
  if (digits.length === 0) return refuse("INVALID_NUMBER");
  if (SERVICE_NUMBER.test(digits)) return refuse("SERVICE_NUMBER");

  const national = nationalDigits(digits, cleaned.trimStart().startsWith("+"), options.inheritedDdd);
  if (typeof national !== "object") return refuse(national);

  const ddd = national.digits.slice(0, 2);
  let subscriber = national.digits.slice(2);
  if (!isValidDdd(ddd)) return refuse("INVALID_DDD");
  let ninthDigitAdded = false;
  if (subscriber.length === 8 && /^[6-9]/.test(subscriber)) {
    subscriber = `9${subscriber}`;
    ninthDigitAdded = true;
  }
  if (subscriber.length === 9 && !subscriber.startsWith("9")) return refuse("INVALID_NUMBER");

  const e164 = `+55${ddd}${subscriber}`;
  const type = numberingPlanType(ddd + subscriber);
  if (type === INVALID) return refuse("INVALID_NUMBER");
  if (type === "TOLL_FREE" || type === "SHARED_COST" || type === "PREMIUM_RATE" || type === "UAN") {
    return refuse("SERVICE_NUMBER");
  }
  const lineType: LineType = type === "MOBILE" ? "mobile" : type === "FIXED_LINE" ? "fixed_line" : "other";
  return {
    ok: true,
    phone: {
      e164,
      raw,
      ddd,
      lineType,
      sendable: lineType === "mobile",
      ninthDigitAdded,
      dddInferred: national.dddInferred,
    },
  };
}

const INVALID = "INVALID";
/** libphonenumber's type names (MOBILE, FIXED_LINE, ...), NO_TYPE for a valid number without one, or INVALID. */
type PlanType = string;
const planTypes = new Map<string, PlanType>();

/**
 * libphonenumber-js's verdict (full metadata) on a Brazilian national number: its type, or INVALID.
 *
 * Brazil's numbering plan decides validity and type from the DDD and the first digits after it
 * (fixed lines are DDD + [2-5] + 7 digits, mobiles DDD + 9 + 8 digits, ...), so the verdict is cached
 * per length, DDD and first two subscriber digits: at most 67 x 100 x 2 entries, and a list of
 * 100,000 numbers asks libphonenumber a few thousand times instead of 100,000. A test compares the
 * cached verdicts with libphonenumber's for numbers of every DDD and prefix.
 */
export function numberingPlanType(national: string): PlanType {
  const key = `${national.length}:${national.slice(0, 4)}`;
  let type = planTypes.get(key);
  if (type === undefined) {
    const parsed = parsePhoneNumberFromString(`+55${national}`);
    type = parsed?.isValid() ? (parsed.getType() ?? "NO_TYPE") : INVALID;
    planTypes.set(key, type);
  }
  return type;
}

/** DDD + subscriber digits (10 or 11), or why there are none. */
function nationalDigits(
  digits: string,
  hasPlus: boolean,
  inheritedDdd: string | undefined,
): { digits: string; dddInferred: boolean } | PhoneRejectionReason {
  const national = (d: string) => ({ digits: d, dddInferred: false });
  if (hasPlus || digits.startsWith("00")) {
    const international = digits.replace(/^00/, "");
    if (!international.startsWith("55")) return "FOREIGN_NUMBER";
    return byLength(international.slice(2), national);
  }
  const zeros = /^0*/.exec(digits)?.[0].length ?? 0;
  const rest = digits.slice(zeros);
  // 12 or 13 digits: country code 55, or (after a national zero) a 2-digit carrier code; either way the
  // first two digits go. Without a zero, 12 or 13 digits must start with 55.
  if (rest.length === 12 || rest.length === 13) {
    if (zeros === 0 && !rest.startsWith("55")) return "TOO_LONG";
    return national(rest.slice(2));
  }
  if (rest.length === 8 || rest.length === 9) {
    if (inheritedDdd === undefined) return "MISSING_DDD";
    return { digits: inheritedDdd + rest, dddInferred: true };
  }
  return byLength(rest, national);
}

function byLength<T>(nationalPart: string, ok: (d: string) => T): T | PhoneRejectionReason {
  if (nationalPart.length < 10) return nationalPart.length >= 8 ? "MISSING_DDD" : "TOO_SHORT";
  if (nationalPart.length > 11) return "TOO_LONG";
  return ok(nationalPart);
}
