/**
 * An XLSX workbook's shared strings (every distinct text of the file, referred to by index from the
 * cells) kept in a temporary file instead of the heap: memory holds 8 bytes per string (offset and
 * length) and a bounded cache (1 MiB of file blocks, 4,096 strings), so reading a large list does not hold
 * all its names in memory.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const WRITE_BUFFER_BYTES = 64 * 1024;
const CACHE_ENTRIES = 4096;
const BLOCK_BYTES = 64 * 1024;
const BLOCKS_KEPT = 16;

export class SharedStringFile {
  private readonly dir = mkdtempSync(join(tmpdir(), "busca-ativa-xlsx-"));
  private readonly fd = openSync(join(this.dir, "shared-strings"), "w+");
  private starts = new Uint32Array(1024);
  private lengths = new Uint32Array(1024);
  private count = 0;
  private fileSize = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly cache = new Map<number, string>();
  private readonly blocks = new Map<number, Buffer>();

  get size(): number {
    return this.count;
  }

  add(text: string): void {
    const bytes = Buffer.from(text, "utf8");
    if (this.count === this.starts.length) this.grow();
    this.starts[this.count] = this.fileSize + this.pendingBytes;
    this.lengths[this.count] = bytes.length;
    this.count += 1;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= WRITE_BUFFER_BYTES) this.flush();
  }

  /** The text at `index`, or null when the workbook has no such string. */
  get(index: number): string | null {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) return null;
    const cached = this.cache.get(index);
    if (cached !== undefined) return cached;
    if (this.pendingBytes > 0) this.flush();
    const text = this.readText(this.starts[index]!, this.lengths[index]!);
    if (this.cache.size >= CACHE_ENTRIES) this.cache.clear();
    this.cache.set(index, text);
    return text;
  }

  /** Cells refer to strings mostly in file order, so whole blocks are read and a few kept. */
  private readText(start: number, length: number): string {
    const blockIndex = Math.floor(start / BLOCK_BYTES);
    const offset = start - blockIndex * BLOCK_BYTES;
    if (offset + length > BLOCK_BYTES) return this.readRange(start, length).toString("utf8");
    let block = this.blocks.get(blockIndex);
    if (block) {
      this.blocks.delete(blockIndex); // most recently used goes last
    } else {
      block = this.readRange(
        blockIndex * BLOCK_BYTES,
        Math.min(BLOCK_BYTES, this.fileSize - blockIndex * BLOCK_BYTES),
      );
      if (this.blocks.size >= BLOCKS_KEPT) this.blocks.delete(this.blocks.keys().next().value!);
    }
    this.blocks.set(blockIndex, block);
    return block.toString("utf8", offset, offset + length);
  }

  private readRange(position: number, length: number): Buffer {
    const buffer = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const n = readSync(this.fd, buffer, read, length - read, position + read);
      if (n === 0) break;
      read += n;
    }
    return buffer;
  }

  close(): void {
    closeSync(this.fd);
    rmSync(this.dir, { recursive: true, force: true });
  }

  private flush(): void {
    const data = Buffer.concat(this.pending, this.pendingBytes);
    let written = 0;
    while (written < data.length)
      written += writeSync(this.fd, data, written, data.length - written, this.fileSize + written);
    this.fileSize += data.length;
    this.blocks.clear(); // the last block may have grown
    this.pending = [];
    this.pendingBytes = 0;
  }

  private grow(): void {
    const starts = new Uint32Array(this.starts.length * 2);
    starts.set(this.starts);
    this.starts = starts;
    const lengths = new Uint32Array(this.lengths.length * 2);
    lengths.set(this.lengths);
    this.lengths = lengths;
  }
}
