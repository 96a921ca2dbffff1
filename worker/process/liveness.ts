/**
 * Liveness that notices a wedged worker, not just a dead Redis: BullMQ workers have been seen parked in
 * "reconnecting" forever after a Redis outage while still reporting that they run (bullmq #4585). A worker is
 * alive when each queue worker runs, its Redis connections are ready or were ready recently, and the event
 * loop is not stuck.
 */
import type { Worker } from "bullmq";
import type { Redis } from "ioredis";

export interface LivenessOptions {
  /** How long a connection may be down before the process is declared wedged; default 60 s. */
  disconnectedGraceMs?: number;
  /** How late the event-loop probe may fire before the process is declared stuck; default 10 s. */
  maxLoopLagMs?: number;
  clock?: () => number;
}

export class WorkerLiveness {
  private readonly downSince = new Map<string, number>();
  private lastTick: number;
  private readonly timer: NodeJS.Timeout;
  private readonly clock: () => number;
  private readonly grace: number;
  private readonly maxLag: number;

  constructor(
    private readonly workers: readonly Worker[],
    private readonly connections: Readonly<Record<string, Redis>>,
    options: LivenessOptions = {},
  ) {
    this.clock = options.clock ?? Date.now;
    this.grace = options.disconnectedGraceMs ?? 60_000;
    this.maxLag = options.maxLoopLagMs ?? 10_000;
    this.lastTick = this.clock();
    this.timer = setInterval(() => (this.lastTick = this.clock()), 1000);
    this.timer.unref();
  }

  /** Undefined when alive, else why not. */
  async problem(): Promise<string | undefined> {
    const now = this.clock();
    if (now - this.lastTick > this.maxLag) return `event loop stalled for ${now - this.lastTick} ms`;
    for (const worker of this.workers) {
      if (!worker.isRunning() && !worker.closing) return `queue worker ${worker.name} is not running`;
    }
    const statuses: Record<string, string> = {
      ...Object.fromEntries(Object.entries(this.connections).map(([k, c]) => [k, c.status])),
    };
    for (const worker of this.workers) {
      // The worker's own connections: the regular one and the blocking one that waits for jobs.
      const backend = worker.backend as unknown as {
        connection?: { client: Promise<Redis> };
        blockingConnection?: { client: Promise<Redis> };
      };
      if (backend.connection) statuses[`${worker.name}/client`] = (await backend.connection.client).status;
      if (backend.blockingConnection) {
        statuses[`${worker.name}/blocking`] = (await backend.blockingConnection.client).status;
      }
    }
    for (const [name, status] of Object.entries(statuses)) {
      if (status === "ready") {
        this.downSince.delete(name);
        continue;
      }
      const since = this.downSince.get(name) ?? now;
      this.downSince.set(name, since);
      if (now - since > this.grace)
        return `Redis connection ${name} has been ${status} for ${now - since} ms`;
    }
    return undefined;
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
