/**
 * Wakes a campaign when one of its import or validation jobs finishes, so that a campaign waiting on a
 * worker need not be polled often: the reconciler requeues an Importing or Validating campaign only every
 * 30 s, and this brings the next reconcile forward to the moment the work is done. BullMQ's events stream
 * (QueueEvents, one blocking Redis connection per queue) tells which job ended; the campaign's uid is in
 * the job's deterministic id (lib/queue/jobs.ts `jobIds`). A missed event (Redis down, controller
 * restarting) costs at most the 30 s poll.
 */
import { QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "../../lib/logger.js";
import type { QueueName } from "../../lib/queue/jobs.js";

export interface CampaignJobEventsOptions {
  redisUrl: string;
  /** BullMQ key prefix, the producer's. */
  prefix: string;
  /** Queues whose finished jobs wake their campaign; default import and validate. */
  queues?: readonly QueueName[];
  /** Called with the campaign's uid when one of its jobs completed or failed. */
  onFinished: (campaignUid: string) => void;
  logger: Logger;
}

/** The campaign uid in `import.<uid>.<generation>` or `validate.<uid>.<firstPhoneId>`, else undefined. */
export function campaignUidOfJobId(jobId: string): string | undefined {
  const [kind, uid] = jobId.split(".");
  if ((kind !== "import" && kind !== "validate") || !uid) return undefined;
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(uid) ? uid : undefined;
}

export class CampaignJobEvents {
  private readonly connections: Redis[] = [];
  private readonly listeners: QueueEvents[] = [];

  constructor(options: CampaignJobEventsOptions) {
    const onEnd = ({ jobId }: { jobId: string }) => {
      const uid = campaignUidOfJobId(jobId);
      if (uid) options.onFinished(uid);
    };
    for (const name of options.queues ?? (["import", "validate"] as const)) {
      const connection = new Redis(options.redisUrl, { maxRetriesPerRequest: null });
      connection.on("error", () => undefined); // QueueEvents reports and reconnects
      const events = new QueueEvents(name, { connection, prefix: options.prefix });
      events.on("completed", onEnd);
      events.on("failed", onEnd);
      events.on("error", (err) =>
        options.logger.debug({ queue: name, error: err.message }, "Job events stream failed; reconnecting"),
      );
      this.connections.push(connection);
      this.listeners.push(events);
    }
  }

  /** Resolves when every events stream is being read. */
  async waitUntilReady(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.waitUntilReady()));
  }

  async close(): Promise<void> {
    await Promise.all(this.listeners.map((l) => l.close()));
    for (const c of this.connections) c.disconnect();
  }
}
