/** A bounded log: keeps the newest `limit` entries, numbered in arrival order. */
export class RingBuffer<T extends object> {
  private readonly items: (T & { seq: number })[] = [];
  private next = 0;
  private seq = 0;

  constructor(private readonly limit: number) {}

  push(item: T): T & { seq: number } {
    const entry = Object.assign(item, { seq: ++this.seq });
    if (this.items.length < this.limit) this.items.push(entry);
    else {
      this.items[this.next] = entry;
      this.next = (this.next + 1) % this.limit;
    }
    return entry;
  }

  /** Oldest first; the newest `limit` entries when given. */
  toArray(limit?: number): (T & { seq: number })[] {
    const ordered = [...this.items.slice(this.next), ...this.items.slice(0, this.next)];
    return limit !== undefined ? ordered.slice(-limit) : ordered;
  }

  /** How many were ever pushed, including those already dropped. */
  get count(): number {
    return this.seq;
  }

  clear(): void {
    this.items.length = 0;
    this.next = 0;
    this.seq = 0;
  }
}
