/**
 * Backoff policies: the per-key exponential failure backoff of the work queue (client-go's
 * ItemExponentialFailureRateLimiter, 5 ms doubling to 1000 s) and the reconnect backoff of the informer
 * (1 s doubling to 30 s). Pure: no timers, no clock.
 */

/** `baseMs * 2^attempt`, capped at `maxMs` (and safe for any attempt count). */
export function exponentialDelay(attempt: number, baseMs: number, maxMs: number): number {
  if (attempt <= 0) return Math.min(baseMs, maxMs);
  // 2^1024 is Infinity; stop doubling long before that.
  if (attempt >= 60) return maxMs;
  return Math.min(baseMs * 2 ** attempt, maxMs);
}

export interface ItemBackoffOptions {
  /** First retry delay; default 5 ms (controller-runtime). */
  baseDelayMs?: number;
  /** Longest retry delay; default 1,000,000 ms = 1000 s (controller-runtime). */
  maxDelayMs?: number;
}

/** Per-key failure counter: each `when(key)` returns the next delay and counts a failure. */
export class ItemExponentialBackoff {
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  private readonly failures = new Map<string, number>();

  constructor(options: ItemBackoffOptions = {}) {
    this.baseDelayMs = options.baseDelayMs ?? 5;
    this.maxDelayMs = options.maxDelayMs ?? 1_000_000;
  }

  /** The delay before the next retry of `key`; counts one more failure. */
  when(key: string): number {
    const attempt = this.failures.get(key) ?? 0;
    this.failures.set(key, attempt + 1);
    return exponentialDelay(attempt, this.baseDelayMs, this.maxDelayMs);
  }

  /** How many failures `key` has had since it was last forgotten. */
  numRequeues(key: string): number {
    return this.failures.get(key) ?? 0;
  }

  /** Clears the failure count of `key` (after a success). */
  forget(key: string): void {
    this.failures.delete(key);
  }
}

export interface ReconnectBackoffOptions {
  /** First delay after a failure; default 1000 ms. */
  initialMs?: number;
  /** Longest delay; default 30,000 ms. */
  maxMs?: number;
}

/** A single failure streak: 1 s, 2 s, 4 s, ... 30 s; `reset()` after a success. */
export class ReconnectBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
  private failures = 0;

  constructor(options: ReconnectBackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 1000;
    this.maxMs = options.maxMs ?? 30_000;
  }

  /** The delay before the next attempt; counts one more failure. */
  next(): number {
    const delay = exponentialDelay(this.failures, this.initialMs, this.maxMs);
    this.failures += 1;
    return delay;
  }

  /** Failures since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  reset(): void {
    this.failures = 0;
  }
}
