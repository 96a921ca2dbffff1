/**
 * Coalesces the concurrent requests of one process into one statement, group-commit style: a request goes
 * at once when fewer than `maxInFlight` batches are running; otherwise it waits and goes with the others
 * that arrived meanwhile in the next batch. No timer: a lone request never waits, and batches grow only when
 * the database is what the sends wait for. Requests with the same key never share a batch (a second claim
 * of one row must see the first one's result, not share its row). A batch that fails is run again request by
 * request, so one bad request (a constraint its row breaks) fails alone.
 */
export interface BatcherOptions<R, V> {
  /** Runs one batch; returns one result per request, in the order of `requests`. */
  run: (requests: readonly R[]) => Promise<V[]>;
  /** Identifies a request; two with the same key go in different batches. */
  keyOf: (request: R) => unknown;
  /** Most requests in one batch; default 64. */
  maxBatch?: number;
  /** Batches running at once; default 2 (one being written while the other runs). */
  maxInFlight?: number;
  /** A failed batch is run again (all its requests) when this says so, up to 3 runs in all; default never. */
  retryable?: (err: unknown) => boolean;
}

/** How many times a batch runs at most when its failure is retryable. */
const MAX_RUNS = 3;

interface Waiting<R, V> {
  request: R;
  resolve: (value: V) => void;
  reject: (err: unknown) => void;
}

export class Batcher<R, V> {
  private readonly maxBatch: number;
  private readonly maxInFlight: number;
  private waiting: Waiting<R, V>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly options: BatcherOptions<R, V>) {
    this.maxBatch = options.maxBatch ?? 64;
    this.maxInFlight = options.maxInFlight ?? 2;
    if (!(this.maxBatch >= 1))
      throw new RangeError(`Batcher maxBatch must be at least 1, got ${this.maxBatch}`);
    if (!(this.maxInFlight >= 1)) {
      throw new RangeError(`Batcher maxInFlight must be at least 1, got ${this.maxInFlight}`);
    }
  }

  /** The result of `request`, run in a batch with whatever else is waiting. */
  load(request: R): Promise<V> {
    return new Promise<V>((resolve, reject) => {
      this.waiting.push({ request, resolve, reject });
      // Requests made in the same tick go together.
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.maxInFlight && this.waiting.length > 0) {
      const batch: Waiting<R, V>[] = [];
      const keys = new Set<unknown>();
      const later: Waiting<R, V>[] = [];
      for (const w of this.waiting) {
        const key = this.options.keyOf(w.request);
        if (batch.length < this.maxBatch && !keys.has(key)) {
          keys.add(key);
          batch.push(w);
        } else {
          later.push(w);
        }
      }
      this.waiting = later;
      this.inFlight++;
      void this.runBatch(batch).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private async runBatch(batch: readonly Waiting<R, V>[]): Promise<void> {
    try {
      const results = await this.runWithRetries(batch.map((w) => w.request));
      batch.forEach((w, i) => w.resolve(results[i]!));
    } catch (err) {
      if (batch.length === 1) {
        batch[0]!.reject(err);
        return;
      }
      // One bad request must not fail the others: each runs alone, and only its own failure is its answer.
      await Promise.all(batch.map((w) => this.runBatch([w])));
    }
  }

  private async runWithRetries(requests: readonly R[]): Promise<V[]> {
    for (let run = 1; ; run++) {
      try {
        const results = await this.options.run(requests);
        if (results.length !== requests.length) {
          throw new Error(`A batch of ${requests.length} requests returned ${results.length} results`);
        }
        return results;
      } catch (err) {
        if (run < MAX_RUNS && this.options.retryable?.(err)) continue;
        throw err;
      }
    }
  }
}
