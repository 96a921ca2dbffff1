/**
 * Trimming BullMQ: finished jobs older than their queue's retention (QUEUE_SETTINGS keepCompleted /
 * keepFailed ages) are removed from every queue, and each queue's events stream is cut to
 * `eventsMaxLength` entries. Jobs removeOnComplete/removeOnFail did not reach (they are applied only when
 * another job finishes) go here. Waiting, delayed and active jobs are never touched.
 */
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { QUEUES, QUEUE_SETTINGS, type QueueName } from "../queue/jobs.js";

export const DEFAULT_EVENTS_MAX_LENGTH = 1000;

export interface QueueTrimOptions {
  redisUrl: string;
  prefix: string;
  now: Date;
  dryRun: boolean;
  eventsMaxLength?: number;
  /** Jobs removed per call; default 1000. */
  batchSize?: number;
}

export interface QueueTrimResult {
  queue: QueueName;
  completed: number;
  failed: number;
  events: number;
}

export async function trimQueues(options: QueueTrimOptions): Promise<QueueTrimResult[]> {
  const redis = new Redis(options.redisUrl, { maxRetriesPerRequest: 2, enableOfflineQueue: true });
  redis.on("error", () => undefined); // reported through the failing calls
  const maxLength = options.eventsMaxLength ?? DEFAULT_EVENTS_MAX_LENGTH;
  const batch = options.batchSize ?? 1000;
  const results: QueueTrimResult[] = [];
  try {
    for (const name of Object.values(QUEUES)) {
      const queue = new Queue(name, { connection: redis, prefix: options.prefix });
      try {
        const settings = QUEUE_SETTINGS[name];
        const completedGraceMs = settings.keepCompleted.age * 1000;
        const failedGraceMs = settings.keepFailed.age * 1000;
        if (options.dryRun) {
          // Finished sets are scored by finish time.
          const before = (graceMs: number) => String(options.now.getTime() - graceMs);
          const eventCount = await redis.xlen(queue.toKey("events"));
          results.push({
            queue: name,
            completed: await redis.zcount(queue.toKey("completed"), "-inf", before(completedGraceMs)),
            failed: await redis.zcount(queue.toKey("failed"), "-inf", before(failedGraceMs)),
            events: Math.max(0, eventCount - maxLength),
          });
          continue;
        }
        const clean = async (graceMs: number, type: "completed" | "failed") => {
          let removed = 0;
          for (;;) {
            const ids = await queue.clean(graceMs, batch, type);
            removed += ids.length;
            if (ids.length < batch) return removed;
          }
        };
        results.push({
          queue: name,
          completed: await clean(completedGraceMs, "completed"),
          failed: await clean(failedGraceMs, "failed"),
          // Exact trim (BullMQ's trimEvents is approximate and leaves small streams as they are).
          events: await redis.xtrim(queue.toKey("events"), "MAXLEN", maxLength),
        });
      } finally {
        await queue.close();
      }
    }
  } finally {
    redis.disconnect();
  }
  return results;
}
