/**
 * The bytes of a patient list: its format (told by content when asked for "auto"), and a SHA-256 of
 * every byte, which makes importing the same file twice a no-op.
 */
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { AppError } from "../../lib/errors.js";

export type ListFormat = "csv" | "xlsx";
export type RequestedFormat = ListFormat | "auto";

export interface ListSource {
  format: ListFormat;
  /** The bytes, from the first; read it once. */
  stream: Readable;
  /** SHA-256 (hex) of the whole source; reads and hashes whatever the parser left unread. */
  checksum(): Promise<string>;
  /** Known before reading when the source was a Buffer. */
  checksumNow: string | undefined;
}

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);
const OLE_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0]);

export async function openListSource(
  input: Readable | Buffer,
  requested: RequestedFormat,
): Promise<ListSource> {
  if (Buffer.isBuffer(input)) {
    const checksum = createHash("sha256").update(input).digest("hex");
    const format = detectFormat(input.subarray(0, 8), requested);
    return {
      format,
      stream: Readable.from([input]),
      checksum: async () => checksum,
      checksumNow: checksum,
    };
  }
  const iterator = input[Symbol.asyncIterator]() as AsyncIterator<Buffer | string>;
  const head: Buffer[] = [];
  let headLength = 0;
  let done = false;
  while (headLength < 8) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
    head.push(chunk);
    headLength += chunk.length;
  }
  const format = detectFormat(Buffer.concat(head).subarray(0, 8), requested);
  const hash = createHash("sha256");
  let finished = done;

  async function* bytes(): AsyncGenerator<Buffer> {
    for (const chunk of head) {
      hash.update(chunk);
      yield chunk;
    }
    while (!finished) {
      const next = await iterator.next();
      if (next.done) {
        finished = true;
        break;
      }
      const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
      hash.update(chunk);
      yield chunk;
    }
  }
  const stream = Readable.from(bytes(), { objectMode: false });
  let digest: string | undefined;
  return {
    format,
    stream,
    checksumNow: undefined,
    checksum: async () => {
      if (digest) return digest;
      if (!finished) {
        if (stream.destroyed) {
          throw new AppError(
            "IMPORT_SOURCE_NOT_READ",
            "The checksum needs the whole source, which was not read",
          );
        }
        for await (const _chunk of stream) {
          // Reading is hashing.
        }
      }
      digest = hash.digest("hex");
      return digest;
    },
  };
}

function detectFormat(head: Buffer, requested: RequestedFormat): ListFormat {
  if (head.length === 0) {
    throw new AppError(
      "IMPORT_EMPTY_FILE",
      "The patient list is empty: upload a CSV or XLSX file with a header row",
    );
  }
  if (head.subarray(0, 4).equals(OLE_MAGIC)) {
    throw new AppError(
      "IMPORT_UNSUPPORTED_FORMAT",
      "The patient list is an old Excel .xls file: open it in Excel or LibreOffice and save it as .xlsx or CSV",
    );
  }
  const looksZip = head.subarray(0, 4).equals(ZIP_MAGIC);
  if (requested === "auto") return looksZip ? "xlsx" : "csv";
  if (requested === "xlsx" && !looksZip) {
    throw new AppError(
      "IMPORT_UNSUPPORTED_FORMAT",
      "The patient list was declared XLSX but is not an XLSX file: set the format to csv or auto, or upload the .xlsx file",
    );
  }
  if (requested === "csv" && looksZip) {
    throw new AppError(
      "IMPORT_UNSUPPORTED_FORMAT",
      "The patient list was declared CSV but is a ZIP (XLSX) file: set the format to xlsx or auto",
    );
  }
  return requested;
}
