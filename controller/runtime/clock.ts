/**
 * Time as a dependency. Everything in the runtime that waits or measures takes a `Clock`, so tests
 * drive time with `FakeClock` (fake-clock.ts) instead of sleeping.
 */

/** A scheduled callback that can be cancelled; cancelling twice or after it ran is harmless. */
export interface ClockTimer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Runs `callback` once, `ms` milliseconds from now (0 or less: as soon as possible). */
  setTimeout(callback: () => void, ms: number): ClockTimer;
}

/** The real clock: `Date.now()` and Node.js timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle = setTimeout(callback, Math.max(0, ms));
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * Resolves after `ms` on `clock`, or as soon as `signal` aborts (it never rejects: callers check the
 * signal themselves). The way the runtime waits between retries.
 */
export function sleep(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const onAbort = () => {
      timer.cancel();
      resolve();
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
