/**
 * Informer health metrics (label `informer`): restarts by reason, relists by reason, whether the
 * cache has synced, how many objects it holds and when the watch last showed a sign of life.
 */
import { Counter, Gauge, type Registry } from "prom-client";

/** Why a watch was restarted or a list redone. */
export type RestartReason = "error" | "stalled" | "expired" | "resync" | "manual";
export type RelistReason = "initial" | "expired" | "resync" | "manual";

export interface InformerMetricsSource {
  readonly name: string;
  readonly objectCount: number;
}

export class InformerMetrics {
  readonly restarts: Counter<"informer" | "reason">;
  readonly relists: Counter<"informer" | "reason">;
  readonly synced: Gauge<"informer">;
  readonly lastProgress: Gauge<"informer">;
  private readonly sources = new Set<InformerMetricsSource>();

  private constructor(registry: Registry) {
    const registers = [registry];
    const sources = this.sources;
    this.restarts = new Counter({
      name: "informer_restarts_total",
      help: "Watch restarts by reason (error, stalled, expired, resync, manual)",
      labelNames: ["informer", "reason"],
      registers,
    });
    this.relists = new Counter({
      name: "informer_relists_total",
      help: "Full lists by reason (initial, expired, resync, manual)",
      labelNames: ["informer", "reason"],
      registers,
    });
    this.synced = new Gauge({
      name: "informer_synced",
      help: "1 once the informer's cache has been filled by a first list",
      labelNames: ["informer"],
      registers,
    });
    this.lastProgress = new Gauge({
      name: "informer_last_progress_timestamp_seconds",
      help: "When the informer last received an event or bookmark, listed, or (re)connected its watch",
      labelNames: ["informer"],
      registers,
    });
    new Gauge({
      name: "informer_objects",
      help: "Objects in the informer's cache",
      labelNames: ["informer"],
      registers,
      collect() {
        this.reset();
        for (const source of sources) this.set({ informer: source.name }, source.objectCount);
      },
    });
  }

  private static readonly byRegistry = new WeakMap<Registry, InformerMetrics>();

  static for(registry: Registry): InformerMetrics {
    let metrics = InformerMetrics.byRegistry.get(registry);
    if (!metrics) {
      metrics = new InformerMetrics(registry);
      InformerMetrics.byRegistry.set(registry, metrics);
    }
    return metrics;
  }

  attach(source: InformerMetricsSource): void {
    this.sources.add(source);
    this.synced.set({ informer: source.name }, 0);
  }

  detach(source: InformerMetricsSource): void {
    this.sources.delete(source);
  }
}
