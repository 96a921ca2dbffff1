/** Timers for everything the sandbox does later, scaled from world time and cancelled all at once. */
export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly timeScale: number) {}

  /** Runs `fn` after `worldMs` of simulated time (`worldMs × timeScale` real ms). */
  afterWorld(worldMs: number, fn: () => void): void {
    this.afterReal(Math.max(0, worldMs * this.timeScale), fn);
  }

  afterReal(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
  }

  /** Resolves after `worldMs` of simulated time; never if the scheduler is cancelled first. */
  sleepWorld(worldMs: number): Promise<void> {
    return new Promise((resolve) => this.afterWorld(worldMs, resolve));
  }

  get pending(): number {
    return this.timers.size;
  }

  cancelAll(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
