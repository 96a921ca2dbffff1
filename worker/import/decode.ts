/**
 * Bytes of a CSV file to text, streaming, for the encodings hospital lists come in: UTF-8 (with or
 * without BOM), Windows-1252/Latin-1 (Excel's "CSV" on Windows), UTF-16 with BOM (Excel's "Unicode
 * text"), and files that mix UTF-8 and Latin-1 (lists pasted together from two sources).
 *
 * Rule: text is read as UTF-8; a byte that does not start a valid UTF-8 sequence is read as
 * Windows-1252. A Latin-1 "ã" (0xE3) followed by ASCII is never valid UTF-8, so a Latin-1 file decodes
 * right. Once invalid UTF-8 shows up where no valid multi-byte sequence was seen before or in the same
 * chunk, the file is taken for Windows-1252 and the rest is decoded as such, which is faster.
 */
import { isUtf8 } from "node:buffer";
import { TextDecoder } from "node:util";

export type TextEncoding = "utf-8" | "windows-1252" | "mixed" | "utf-16le" | "utf-16be";

const CP1252 = new TextDecoder("windows-1252");

export class ListTextDecoder {
  private carry: Buffer = Buffer.alloc(0);
  private started = false;
  private sawUtf8Multibyte = false;
  private sawInvalidUtf8 = false;
  private utf16: TextDecoder | undefined;
  private latin1: TextDecoder | undefined;
  private utf16Name: TextEncoding | undefined;

  /** The encoding found so far; final after `end()`. */
  get encoding(): TextEncoding {
    if (this.utf16Name) return this.utf16Name;
    if (this.latin1) return "windows-1252";
    if (this.sawInvalidUtf8) return this.sawUtf8Multibyte ? "mixed" : "windows-1252";
    return "utf-8";
  }

  write(chunk: Buffer): string {
    let bytes = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    this.carry = Buffer.alloc(0);
    if (!this.started) {
      if (bytes.length < 3) {
        this.carry = Buffer.from(bytes);
        return "";
      }
      this.started = true;
      bytes = this.startWith(bytes);
    }
    if (this.utf16) return this.utf16.decode(bytes, { stream: true });
    if (this.latin1) return this.latin1.decode(bytes, { stream: true });
    const cut = incompleteTail(bytes);
    if (cut > 0) {
      this.carry = Buffer.from(bytes.subarray(bytes.length - cut));
      bytes = bytes.subarray(0, bytes.length - cut);
    }
    return this.decodeUtf8OrFallback(bytes);
  }

  end(): string {
    const rest = this.carry;
    this.carry = Buffer.alloc(0);
    if (!this.started) {
      this.started = true;
      const bytes = this.startWith(rest);
      if (this.utf16) return this.utf16.decode(bytes);
      return this.decodeUtf8OrFallback(bytes);
    }
    if (this.utf16) return this.utf16.decode(rest);
    if (this.latin1) return this.latin1.decode(rest);
    return this.decodeUtf8OrFallback(rest);
  }

  /** Reads the byte order mark, if any, and returns the bytes after it. */
  private startWith(bytes: Buffer): Buffer {
    if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return bytes.subarray(3);
    if (bytes[0] === 0xff && bytes[1] === 0xfe) {
      this.utf16 = new TextDecoder("utf-16le");
      this.utf16Name = "utf-16le";
      return bytes.subarray(2);
    }
    if (bytes[0] === 0xfe && bytes[1] === 0xff) {
      this.utf16 = new TextDecoder("utf-16be");
      this.utf16Name = "utf-16be";
      return bytes.subarray(2);
    }
    return bytes;
  }

  private decodeUtf8OrFallback(bytes: Buffer): string {
    if (bytes.length === 0) return "";
    if (isUtf8(bytes)) {
      if (!this.sawUtf8Multibyte && hasHighByte(bytes)) this.sawUtf8Multibyte = true;
      return bytes.toString("utf8");
    }
    this.sawInvalidUtf8 = true;
    if (!this.sawUtf8Multibyte && hasUtf8Multibyte(bytes)) this.sawUtf8Multibyte = true;
    if (!this.sawUtf8Multibyte) {
      // Nothing so far was UTF-8 beyond ASCII: a Windows-1252 file.
      this.latin1 = new TextDecoder("windows-1252");
      return this.latin1.decode(bytes, { stream: true });
    }
    return decodeMixed(bytes);
  }
}

function hasHighByte(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i]! >= 0x80) return true;
  return false;
}

/** Whether the bytes hold at least one valid multi-byte UTF-8 sequence. */
function hasUtf8Multibyte(bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i]! >= 0xc2 && utf8SequenceAt(bytes, i) > 0) return true;
  }
  return false;
}

/** Bytes at the end that start a UTF-8 sequence the next chunk may complete. */
function incompleteTail(bytes: Buffer): number {
  const n = bytes.length;
  for (let back = 1; back <= Math.min(3, n); back++) {
    const b = bytes[n - back]!;
    if ((b & 0xc0) === 0x80) continue; // continuation byte: keep looking for the lead
    const length = b >= 0xf0 && b <= 0xf4 ? 4 : b >= 0xe0 ? 3 : b >= 0xc2 && b < 0xe0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}

/** Length of the valid UTF-8 sequence starting at `i`, or 0. */
function utf8SequenceAt(bytes: Buffer, i: number): number {
  const b = bytes[i]!;
  const length = b >= 0xc2 && b <= 0xdf ? 2 : b >= 0xe0 && b <= 0xef ? 3 : b >= 0xf0 && b <= 0xf4 ? 4 : 0;
  if (length === 0 || i + length > bytes.length) return 0;
  return isUtf8(bytes.subarray(i, i + length)) ? length : 0;
}

/** UTF-8 where valid, Windows-1252 for every byte that is not. */
function decodeMixed(bytes: Buffer): string {
  let out = "";
  let runStart = 0;
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    const length = utf8SequenceAt(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    out += bytes.toString("utf8", runStart, i) + CP1252.decode(bytes.subarray(i, i + 1));
    i++;
    runStart = i;
  }
  return out + bytes.toString("utf8", runStart, bytes.length);
}
