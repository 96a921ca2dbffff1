/** Waiting for a condition with a deadline: the only way tests and the harness wait. */
export interface WaitOptions {
  timeoutMs: number;
  /** What is awaited, for the timeout message. */
  what: string;
  intervalMs?: number;
}

export async function waitFor<T>(
  check: () => Promise<T | false | undefined | null> | T | false | undefined | null,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 100;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false && value !== undefined && value !== null) return value as T;
      lastError = undefined;
    } catch (err) {
      if (err instanceof Error && /exited with code/.test(err.message)) throw err;
      lastError = err;
    }
    if (Date.now() >= deadline) {
      const cause = lastError instanceof Error ? `: last error: ${lastError.message}` : "";
      throw new Error(`Timed out after ${options.timeoutMs} ms waiting for ${options.what}${cause}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}
