/**
 * A spreadsheet cell that holds one or more phone numbers, to normalised phones.
 *
 * Numbers are separated by `,` `;` `/` `|` line breaks or words ("ou", "e", "cel:"), and spaces inside a
 * number are common ("(85) 98765-4321", "85 98765 4321"). Within a run of space-separated pieces the
 * longest run that forms one valid number wins, so spaces split two numbers only when each part is a
 * number on its own. A number written without DDD takes the DDD of the number before it in the cell.
 * Spreadsheet artefacts are undone first: numeric cells, float text (`85987654321.0`) and scientific
 * notation (`8.5987654321E+10`; refused when digits were lost, e.g. `8.59877E+10`).
 */
import { normalisePhone, type NormalisedPhone, type PhoneRejectionReason } from "./normalise.js";

export type PhoneCellValue = string | number | null | undefined;

export interface RejectedPhoneToken {
  raw: string;
  reason: PhoneRejectionReason;
}

export interface PhoneCellResult {
  /** Distinct numbers, in the order they appear in the cell. */
  phones: NormalisedPhone[];
  /** Pieces of the cell that are not a valid number, with why. */
  rejected: RejectedPhoneToken[];
  /** Numbers written more than once in the cell (kept once). */
  duplicates: number;
}

/** At most this many space-separated pieces make one number: "+55 (85) 9 8765 43 21". */
const MAX_PIECES = 6;
/** No number has more digits than this (0 + carrier code + 55 + DDD + 9 digits is 15). */
const MAX_DIGITS = 15;
const HARD_SEPARATORS = /[,;/|\\\r\n\t]+/;
const SCIENTIFIC = /^[+]?(\d+)(?:[.,](\d+))?[eE][+]?(\d{1,2})$/;
const FLOAT_TEXT = /^(\d{8,})[.,]0+$/;

export function parsePhoneCell(cell: PhoneCellValue): PhoneCellResult {
  const result: PhoneCellResult = { phones: [], rejected: [], duplicates: 0 };
  if (cell === null || cell === undefined) return result;
  const text = cellText(cell);
  if (typeof text === "object") {
    result.rejected.push(text);
    return result;
  }
  // A whole cell in scientific notation may use a decimal comma ("8,5987654321E+10"), which would
  // otherwise read as a separator.
  const scientific = expandScientific(text);
  if (scientific?.lostPrecision) {
    result.rejected.push({ raw: text, reason: "PRECISION_LOST" });
    return result;
  }
  const cellDigits = scientific ? scientific.digits : text;
  let inheritedDdd: string | undefined;
  const seen = new Set<string>();
  const accept = (phone: NormalisedPhone) => {
    inheritedDdd = phone.ddd;
    if (seen.has(phone.e164)) {
      result.duplicates += 1;
      return;
    }
    seen.add(phone.e164);
    result.phones.push(phone);
  };

  for (const segment of cellDigits.replace(/0\s*x\s*x\s*/gi, "0").split(HARD_SEPARATORS)) {
    for (const run of digitRuns(segment)) {
      let i = 0;
      while (i < run.length) {
        const taken = longestValidJoin(run, i, inheritedDdd);
        if (taken) {
          accept(taken.phone);
          i = taken.end;
          continue;
        }
        const failure = refusal(run, i, inheritedDdd);
        result.rejected.push(failure.token);
        i = failure.end;
      }
    }
  }
  return result;
}

interface Piece {
  /** The piece as written. */
  text: string;
  /** Its digits, after undoing float text and scientific notation. */
  digits: string;
  start: number;
  end: number;
  segment: string;
  lostPrecision: boolean;
}

/**
 * Space-separated pieces of one segment, grouped into runs: a piece with letters and no digits ("ou",
 * "cel:") ends a run; punctuation-only pieces ("-", "(") are skipped.
 */
function digitRuns(segment: string): Piece[][] {
  const runs: Piece[][] = [];
  let current: Piece[] = [];
  for (const match of segment.matchAll(/\S+/g)) {
    const piece = match[0];
    if (!/\d/.test(piece)) {
      if (/\p{L}/u.test(piece) && current.length > 0) {
        runs.push(current);
        current = [];
      }
      continue;
    }
    const start = match.index;
    current.push({ text: piece, start, end: start + piece.length, segment, ...pieceDigits(piece) });
  }
  if (current.length > 0) runs.push(current);
  return runs;
}

function pieceDigits(piece: string): { digits: string; lostPrecision: boolean } {
  const float = FLOAT_TEXT.exec(piece);
  if (float) return { digits: float[1]!, lostPrecision: false };
  const scientific = expandScientific(piece);
  if (scientific !== undefined) return scientific;
  return { digits: piece.replace(/\D/g, ""), lostPrecision: false };
}

function longestValidJoin(
  run: Piece[],
  from: number,
  inheritedDdd: string | undefined,
): { phone: NormalisedPhone; end: number } | undefined {
  for (let end = Math.min(run.length, from + MAX_PIECES); end > from; end--) {
    const pieces = run.slice(from, end);
    if (pieces.some((p) => p.lostPrecision)) continue;
    const digits = pieces.map((p) => p.digits).join("");
    if (digits.length > MAX_DIGITS) continue;
    const raw = rawText(pieces);
    const prefix = pieces[0]!.text.trimStart().startsWith("+") ? "+" : "";
    const result = normalisePhone(prefix + digits, inheritedDdd === undefined ? {} : { inheritedDdd });
    if (result.ok) return { phone: { ...result.phone, raw }, end };
  }
  return undefined;
}

/**
 * Why the pieces from `from` on are not a number. When the rest of the run is about one number's length,
 * it is refused as one ("3234 5678" is a number without DDD, not two short numbers); otherwise the
 * first piece alone is refused and the next one is tried.
 */
function refusal(
  run: Piece[],
  from: number,
  inheritedDdd: string | undefined,
): { token: RejectedPhoneToken; end: number } {
  const rest = run.slice(from);
  const restDigits = rest.map((p) => p.digits).join("").length;
  const pieces = restDigits >= 8 && restDigits <= 13 && rest.length <= MAX_PIECES ? rest : rest.slice(0, 1);
  const raw = rawText(pieces);
  if (pieces.some((p) => p.lostPrecision)) {
    return { token: { raw, reason: "PRECISION_LOST" }, end: from + pieces.length };
  }
  const prefix = pieces[0]!.text.trimStart().startsWith("+") ? "+" : "";
  const digits = pieces.map((p) => p.digits).join("");
  const result = normalisePhone(prefix + digits, inheritedDdd === undefined ? {} : { inheritedDdd });
  const reason: PhoneRejectionReason = result.ok ? "INVALID_NUMBER" : result.reason;
  return { token: { raw, reason }, end: from + pieces.length };
}

function rawText(pieces: Piece[]): string {
  const first = pieces[0]!;
  const last = pieces[pieces.length - 1]!;
  return first.segment.slice(first.start, last.end);
}

/** A cell's text; numeric cells must be whole numbers (a phone is never a fraction). */
function cellText(cell: string | number): string | RejectedPhoneToken {
  if (typeof cell === "number") {
    if (!Number.isFinite(cell) || cell < 0) return { raw: String(cell), reason: "INVALID_NUMBER" };
    if (!Number.isInteger(cell)) return { raw: String(cell), reason: "INVALID_NUMBER" };
    return cell.toFixed(0);
  }
  return cell.trim();
}

/**
 * `8.5987654321E+10` to `85987654321`. When the mantissa has fewer digits than the exponent needs, the
 * spreadsheet rounded the number and its last digits are gone: `lostPrecision`.
 */
export function expandScientific(text: string): { digits: string; lostPrecision: boolean } | undefined {
  const match = SCIENTIFIC.exec(text.trim());
  if (!match) return undefined;
  const whole = match[1]!;
  const fraction = match[2] ?? "";
  const exponent = Number(match[3]);
  if (fraction.length > exponent) {
    const kept = fraction.slice(exponent);
    if (/[^0]/.test(kept)) return { digits: whole + fraction.slice(0, exponent), lostPrecision: true };
    return { digits: whole + fraction.slice(0, exponent), lostPrecision: false };
  }
  const padding = exponent - fraction.length;
  return { digits: whole + fraction + "0".repeat(padding), lostPrecision: padding > 0 };
}
