/**
 * A clock for tests: time only moves when the test calls `advance`, and timers fire in due order
 * (timers scheduled by a firing callback fire too when they fall inside the advanced span).
 */
import type { Clock, ClockTimer } from "./clock.js";

interface PendingTimer {
  due: number;
  seq: number;
  callback: () => void;
}

export class FakeClock implements Clock {
  private current: number;
  private seq = 0;
  private timers: PendingTimer[] = [];

  constructor(startMs = Date.UTC(2026, 0, 1)) {
    this.current = startMs;
  }

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, ms: number): ClockTimer {
    const timer: PendingTimer = { due: this.current + Math.max(0, ms), seq: this.seq++, callback };
    this.timers.push(timer);
    return {
      cancel: () => {
        this.timers = this.timers.filter((t) => t !== timer);
      },
    };
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way, in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    for (;;) {
      const next = this.nextTimer();
      if (!next || next.due > target) break;
      this.timers = this.timers.filter((t) => t !== next);
      this.current = Math.max(this.current, next.due);
      next.callback();
    }
    this.current = target;
  }

  /** Sets the time to `epochMs` (which must not be in the past), firing timers on the way. */
  setTime(epochMs: number): void {
    if (epochMs < this.current) throw new Error("FakeClock cannot go back in time");
    this.advance(epochMs - this.current);
  }

  /** How many timers are waiting to fire. */
  pendingTimers(): number {
    return this.timers.length;
  }

  /** When the next timer fires, or undefined when none is pending. */
  nextTimerAt(): number | undefined {
    return this.nextTimer()?.due;
  }

  private nextTimer(): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.timers) {
      if (!best || t.due < best.due || (t.due === best.due && t.seq < best.seq)) best = t;
    }
    return best;
  }
}
