/**
 * CSV bytes to rows, streaming: decoded (see decode.ts), delimiter found from the header line (`,`,
 * `;` or tab: Excel in Brazil writes `;`), parsed by csv-parse with the leniency real exports need
 * (stray quotes, short or long rows). Binary content is refused before parsing; a stray NUL character
 * after the sampled head is dropped.
 */
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse, type CsvError } from "csv-parse";
import { AppError } from "../../lib/errors.js";
import { ListTextDecoder } from "./decode.js";
import type { SheetRow, SourceDetails } from "./sheet-row.js";

/** A record longer than this (in characters) stops the import: no real row is that big. */
export const MAX_CSV_RECORD_CHARS = 4 * 1024 * 1024;
const DELIMITERS = [",", ";", "\t"] as const;
/** Text sampled before parsing: enough for the header, a title above it, and the binary check. */
const SAMPLE_CHARS = 64 * 1024;
const SAMPLE_LINES = 20;

export async function* csvRows(
  bytes: AsyncIterable<Buffer>,
  details: SourceDetails,
): AsyncGenerator<SheetRow> {
  const decoder = new ListTextDecoder();
  const text = decodedText(bytes, decoder, details);

  // Read ahead a few lines, to choose the delimiter and check for binary data.
  const sample: string[] = [];
  let sampled = 0;
  let lines = 0;
  const iterator = text[Symbol.asyncIterator]();
  while (sampled < SAMPLE_CHARS && lines < SAMPLE_LINES) {
    const next = await iterator.next();
    if (next.done) break;
    sample.push(next.value);
    sampled += next.value.length;
    lines += next.value.split("\n").length - 1;
  }
  const head = sample.join("");
  refuseBinary(head);
  const delimiter = detectDelimiter(head);
  details.delimiter = delimiter;

  async function* all(): AsyncGenerator<string> {
    if (head.length > 0) yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      // A NUL past the sample (a broken export) carries nothing a person wrote, and PostgreSQL refuses it in
      // text: its error would quote the cell, patient data, and stop the whole import for one character.
      yield next.value.includes("\0") ? next.value.replaceAll("\0", "") : next.value;
    }
  }

  const parser = parse({
    delimiter,
    relax_quotes: true,
    relax_column_count: true,
    skip_empty_lines: false,
    max_record_size: MAX_CSV_RECORD_CHARS,
  });
  const feeding = pipeline(Readable.from(all()), parser);
  // Iterating rejects with the same error; this keeps the pipeline's copy from going unhandled.
  feeding.catch(() => undefined);
  let rowNumber = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      rowNumber += 1;
      yield { rowNumber, cells: record };
    }
    await feeding;
  } catch (err) {
    throw csvError(err, rowNumber + 1);
  } finally {
    parser.destroy();
  }
}

async function* decodedText(
  bytes: AsyncIterable<Buffer>,
  decoder: ListTextDecoder,
  details: SourceDetails,
): AsyncGenerator<string> {
  for await (const chunk of bytes) {
    const text = decoder.write(chunk);
    details.encoding = decoder.encoding;
    if (text.length > 0) yield text;
  }
  const rest = decoder.end();
  details.encoding = decoder.encoding;
  if (rest.length > 0) yield rest;
}

/**
 * The delimiter that occurs most, outside quotes, in the first lines (several, because a title line
 * above the headers has none); `,` when none occurs.
 */
export function detectDelimiter(text: string): string {
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let quoted = false;
  let lines = 0;
  for (const ch of text) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && ch === "\n" && ++lines >= SAMPLE_LINES) break;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ",";
  let bestCount = 0;
  for (const [d, n] of counts) {
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

/** Text with NUL bytes or many control characters is not a CSV file (an image, a PDF, a .doc...). */
function refuseBinary(sample: string): void {
  if (sample.length === 0) return;
  let controls = 0;
  for (let i = 0; i < sample.length; i++) {
    const code = sample.charCodeAt(i);
    if (code === 0)
      controls += sample.length; // one NUL is enough
    else if (code < 32 && code !== 9 && code !== 10 && code !== 13) controls += 1;
    else if (code === 0xfffd) controls += 1;
  }
  if (controls / sample.length > 0.01) {
    throw new AppError(
      "IMPORT_UNSUPPORTED_FORMAT",
      "The patient list is neither CSV text nor an XLSX workbook (it looks like binary data): export the list as CSV or XLSX and upload that file",
    );
  }
}

/** csv-parse's own messages quote the row's text, which may be patient data: only its code is kept. */
function csvError(err: unknown, rowNumber: number): unknown {
  if (err instanceof AppError) return err;
  const code = (err as Partial<CsvError>).code;
  if (code === "CSV_MAX_RECORD_SIZE") {
    return new AppError(
      "IMPORT_RECORD_TOO_LARGE",
      `Row ${rowNumber} of the patient list is larger than ${MAX_CSV_RECORD_CHARS / 1024 / 1024} MiB (often a quote that is never closed): fix that row and import again`,
      { rowNumber },
    );
  }
  if (typeof code === "string" && code.startsWith("CSV_")) {
    return new AppError(
      "IMPORT_UNREADABLE_FILE",
      `The patient list is not valid CSV near row ${rowNumber} (${code}): check quotes and delimiters there, or export it again as CSV`,
      { rowNumber, csvCode: code },
    );
  }
  return err;
}
