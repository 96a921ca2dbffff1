/**
 * Controller metrics with controller-runtime's names (label `controller`):
 * controller_runtime_reconcile_total{result}, _reconcile_errors_total, _terminal_reconcile_errors_total,
 * _reconcile_panics_total, _reconcile_time_seconds, _active_workers, _max_concurrent_reconciles.
 */
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type ReconcileOutcome = "success" | "error" | "requeue_after";

const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1, 1.25, 1.5,
  1.75, 2, 2.5, 3, 3.5, 4, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

export class ControllerMetrics {
  readonly total: Counter<"controller" | "result">;
  readonly errors: Counter<"controller">;
  readonly terminalErrors: Counter<"controller">;
  readonly panics: Counter<"controller">;
  readonly time: Histogram<"controller">;
  readonly activeWorkers: Gauge<"controller">;
  readonly maxConcurrent: Gauge<"controller">;

  private constructor(registry: Registry) {
    const registers = [registry];
    this.total = new Counter({
      name: "controller_runtime_reconcile_total",
      help: "Total number of reconciliations per controller",
      labelNames: ["controller", "result"],
      registers,
    });
    this.errors = new Counter({
      name: "controller_runtime_reconcile_errors_total",
      help: "Total number of reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.terminalErrors = new Counter({
      name: "controller_runtime_terminal_reconcile_errors_total",
      help: "Total number of terminal reconciliation errors per controller",
      labelNames: ["controller"],
      registers,
    });
    this.panics = new Counter({
      name: "controller_runtime_reconcile_panics_total",
      help: "Total number of reconciliations that threw a programming error (TypeError, ReferenceError, ...)",
      labelNames: ["controller"],
      registers,
    });
    this.time = new Histogram({
      name: "controller_runtime_reconcile_time_seconds",
      help: "Length of time per reconciliation per controller",
      labelNames: ["controller"],
      buckets: RECONCILE_BUCKETS,
      registers,
    });
    this.activeWorkers = new Gauge({
      name: "controller_runtime_active_workers",
      help: "Number of currently used workers per controller",
      labelNames: ["controller"],
      registers,
    });
    this.maxConcurrent = new Gauge({
      name: "controller_runtime_max_concurrent_reconciles",
      help: "Maximum number of concurrent reconciles per controller",
      labelNames: ["controller"],
      registers,
    });
  }

  private static readonly byRegistry = new WeakMap<Registry, ControllerMetrics>();

  static for(registry: Registry): ControllerMetrics {
    let metrics = ControllerMetrics.byRegistry.get(registry);
    if (!metrics) {
      metrics = new ControllerMetrics(registry);
      ControllerMetrics.byRegistry.set(registry, metrics);
    }
    return metrics;
  }

  init(controller: string, workers: number): void {
    for (const result of ["success", "error", "requeue_after"] satisfies ReconcileOutcome[]) {
      this.total.inc({ controller, result }, 0);
    }
    this.errors.inc({ controller }, 0);
    this.terminalErrors.inc({ controller }, 0);
    this.panics.inc({ controller }, 0);
    this.activeWorkers.set({ controller }, 0);
    this.maxConcurrent.set({ controller }, workers);
  }
}
