/**
 * Work queue metrics with controller-runtime's names and label (`name`), so existing dashboards work:
 * workqueue_depth, workqueue_adds_total, workqueue_retries_total, workqueue_queue_duration_seconds,
 * workqueue_work_duration_seconds, workqueue_unfinished_work_seconds and
 * workqueue_longest_running_processor_seconds. One set per prom-client Registry, shared by every queue
 * registered in it.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

/** What the scrape-time gauges need to read from a queue. */
export interface QueueMetricsSource {
  readonly name: string;
  /** Start times (epoch ms) of the items being processed right now. */
  processingStartTimes(): Iterable<number>;
  /** The queue's clock reading, epoch ms. */
  now(): number;
}

/** controller-runtime's buckets: 10 ns to 1000 s, ×10 each. */
const DURATION_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

export class WorkQueueMetrics {
  readonly depth: Gauge<"name">;
  readonly adds: Counter<"name">;
  readonly retries: Counter<"name">;
  readonly queueDuration: Histogram<"name">;
  readonly workDuration: Histogram<"name">;
  private readonly sources = new Set<QueueMetricsSource>();

  private constructor(registry: Registry) {
    const registers = [registry];
    const sources = this.sources;
    this.depth = new Gauge({
      name: "workqueue_depth",
      help: "Current depth of workqueue",
      labelNames: ["name"],
      registers,
    });
    this.adds = new Counter({
      name: "workqueue_adds_total",
      help: "Total number of adds handled by workqueue",
      labelNames: ["name"],
      registers,
    });
    this.retries = new Counter({
      name: "workqueue_retries_total",
      help: "Total number of rate-limited retries handled by workqueue",
      labelNames: ["name"],
      registers,
    });
    this.queueDuration = new Histogram({
      name: "workqueue_queue_duration_seconds",
      help: "How long in seconds an item stays in workqueue before being requested",
      labelNames: ["name"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.workDuration = new Histogram({
      name: "workqueue_work_duration_seconds",
      help: "How long in seconds processing an item from workqueue takes",
      labelNames: ["name"],
      buckets: DURATION_BUCKETS,
      registers,
    });
    new Gauge({
      name: "workqueue_unfinished_work_seconds",
      help: "How many seconds of work has been done that is in progress and hasn't been observed by work_duration",
      labelNames: ["name"],
      registers,
      collect() {
        this.reset();
        for (const source of sources) {
          const now = source.now();
          let total = 0;
          for (const start of source.processingStartTimes()) total += now - start;
          this.set({ name: source.name }, total / 1000);
        }
      },
    });
    new Gauge({
      name: "workqueue_longest_running_processor_seconds",
      help: "How many seconds has the longest running processor for workqueue been running",
      labelNames: ["name"],
      registers,
      collect() {
        this.reset();
        for (const source of sources) {
          const now = source.now();
          let longest = 0;
          for (const start of source.processingStartTimes()) longest = Math.max(longest, now - start);
          this.set({ name: source.name }, longest / 1000);
        }
      },
    });
  }

  private static readonly byRegistry = new WeakMap<Registry, WorkQueueMetrics>();

  /** The metric set of `registry`, created on first use. */
  static for(registry: Registry): WorkQueueMetrics {
    let metrics = WorkQueueMetrics.byRegistry.get(registry);
    if (!metrics) {
      metrics = new WorkQueueMetrics(registry);
      WorkQueueMetrics.byRegistry.set(registry, metrics);
    }
    return metrics;
  }

  attach(source: QueueMetricsSource): void {
    this.sources.add(source);
    this.depth.set({ name: source.name }, 0);
    this.adds.inc({ name: source.name }, 0);
    this.retries.inc({ name: source.name }, 0);
  }

  detach(source: QueueMetricsSource): void {
    this.sources.delete(source);
  }
}
