/**
 * Faults on demand: steady ones (latency, probabilities, rate limits) and one-shot ones queued through
 * the control API ("the next sendText to this number gets 131048"). One-shot faults win.
 */
import type { FaultsConfig, OneShotFault, Operation } from "./config.js";
import { canonicalDigits } from "./numbers.js";
import { inRange, type SequenceRng } from "./random.js";

export type FaultDecision =
  | { type: "none" }
  | { type: "server_error"; status: number }
  | { type: "connection_closed"; status: number }
  | { type: "rate_overlimit" }
  | { type: "meta_error"; code: number }
  | { type: "http_429"; retryAfterSeconds: number }
  | { type: "unauthorized" }
  /** Process the request, then hold the answer past the client's timeout. */
  | { type: "accepted_timeout" }
  /** Hold the answer without processing: the request is lost. */
  | { type: "dropped_timeout" };

export interface FaultContext {
  provider: "evolution" | "meta";
  operation: Operation;
  /** Evolution instance or Meta phone-number id. */
  channel: string;
  /** Canonical digits of the number the request is about, when there is one. */
  canonical?: string;
}

const NONE: FaultDecision = { type: "none" };
const SENDS: ReadonlySet<Operation> = new Set(["sendText", "sendTemplate"]);

export class FaultPlan {
  private queue: (OneShotFault & { canonical?: string })[] = [];
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(
    public steady: FaultsConfig,
    private readonly rng: SequenceRng,
    private readonly now: () => number = Date.now,
  ) {}

  enqueue(faults: OneShotFault[]): void {
    for (const f of faults)
      this.queue.push({ ...f, canonical: f.number ? canonicalDigits(f.number) : undefined });
  }

  pending(): OneShotFault[] {
    return this.queue.map(({ canonical: _c, ...f }) => f);
  }

  clear(): void {
    this.queue = [];
    this.windows.clear();
  }

  /** Real milliseconds to wait before answering. */
  latency(): number {
    const l = this.steady.latencyMs;
    return typeof l === "number" ? l : inRange(l, this.rng.next());
  }

  decide(ctx: FaultContext): FaultDecision {
    const oneShot = this.takeOneShot(ctx);
    if (oneShot) return oneShot;
    const s = this.steady;
    if (this.rng.chance(s.serverErrorRate)) return { type: "server_error", status: 500 };
    if (this.rng.chance(s.http429Rate)) return { type: "http_429", retryAfterSeconds: s.retryAfterSeconds };
    if (!SENDS.has(ctx.operation)) return NONE;
    if (ctx.provider === "evolution" && this.rng.chance(s.evolution.connectionClosedRate)) {
      return { type: "connection_closed", status: 400 };
    }
    if (this.rng.chance(s.timeoutRate)) return { type: "accepted_timeout" };
    if (ctx.provider === "evolution" && s.evolution.rateOverlimit) {
      const { max, windowMs } = s.evolution.rateOverlimit;
      if (this.overLimit(`evo:${ctx.channel}`, max, windowMs)) return { type: "rate_overlimit" };
    }
    if (ctx.provider === "meta") {
      if (
        s.meta.throughputPerSecond !== null &&
        this.overLimit(`meta:${ctx.channel}`, s.meta.throughputPerSecond, 1_000)
      ) {
        return { type: "meta_error", code: 130429 };
      }
      if (s.meta.pairRate && ctx.canonical) {
        const { max, windowMs } = s.meta.pairRate;
        if (this.overLimit(`pair:${ctx.channel}:${ctx.canonical}`, max, windowMs))
          return { type: "meta_error", code: 131056 };
      }
    }
    return NONE;
  }

  private takeOneShot(ctx: FaultContext): FaultDecision | undefined {
    const index = this.queue.findIndex(
      (f) =>
        (f.provider === "any" || f.provider === ctx.provider) &&
        (f.operation === "any" || f.operation === ctx.operation) &&
        (f.canonical === undefined || f.canonical === ctx.canonical),
    );
    if (index < 0) return undefined;
    const fault = this.queue[index]!;
    fault.times -= 1;
    if (fault.times <= 0) this.queue.splice(index, 1);
    switch (fault.fault) {
      case "server_error":
        return { type: "server_error", status: fault.status ?? 500 };
      case "connection_closed":
        return { type: "connection_closed", status: fault.status ?? 400 };
      case "meta_error":
        return { type: "meta_error", code: fault.code ?? 1 };
      case "http_429":
        return {
          type: "http_429",
          retryAfterSeconds: fault.retryAfterSeconds ?? this.steady.retryAfterSeconds,
        };
      default:
        return { type: fault.fault };
    }
  }

  /** Fixed-window counter: true once more than `max` requests fell in the current window. */
  private overLimit(key: string, max: number, windowMs: number): boolean {
    const now = this.now();
    const w = this.windows.get(key);
    if (!w || now - w.start >= windowMs) {
      this.windows.set(key, { start: now, count: 1 });
      return 1 > max;
    }
    w.count += 1;
    return w.count > max;
  }
}
