/** The worker's Prometheus metrics: jobs by queue and outcome, job time, provider call latency and errors by class. */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export function workerMetrics(registry = new Registry()) {
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    jobs: new Counter({
      name: "busca_ativa_jobs_total",
      help: "Jobs processed, by queue and outcome",
      labelNames: ["queue", "outcome"] as const,
      registers: [registry],
    }),
    jobSeconds: new Histogram({
      name: "busca_ativa_job_seconds",
      help: "Time to process a job, by queue",
      labelNames: ["queue"] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    providerSeconds: new Histogram({
      name: "busca_ativa_provider_send_seconds",
      help: "Latency of provider send calls, by message kind",
      labelNames: ["kind"] as const,
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
    providerErrors: new Counter({
      name: "busca_ativa_provider_errors_total",
      help: "Provider call failures, by error class",
      labelNames: ["class"] as const,
      registers: [registry],
    }),
  };
}

export type WorkerMetrics = ReturnType<typeof workerMetrics>;
