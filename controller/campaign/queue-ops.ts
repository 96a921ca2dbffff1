/**
 * The controller's side of the queues: adding a campaign's import, validation and send jobs with their
 * deterministic ids (adding twice is a no-op), re-creating send jobs PostgreSQL says should exist (after
 * Redis was lost), and withdrawing a campaign's waiting jobs (suspend, delete).
 */
import type { Job, Queue } from "bullmq";
import { jobIds, type QueueName } from "../../lib/queue/jobs.js";
import type { JobProducer } from "../../lib/queue/producer.js";

export class CampaignQueues {
  constructor(private readonly producer: JobProducer) {}

  async addImport(campaignUid: string): Promise<void> {
    await this.producer.add("import", { jobId: jobIds.import(campaignUid, 1), data: { campaignUid } });
  }

  /** Whether the import job ended in failure, and why (the job's failure message: no patient data). */
  async importFailure(campaignUid: string): Promise<string | undefined> {
    const job = await this.producer.queue("import").getJob(jobIds.import(campaignUid, 1));
    if (!job) return undefined;
    const state = await job.getState();
    return state === "failed" ? job.failedReason || "the import failed" : undefined;
  }

  /** Removes a failed import job so that the next reconcile can add it again (after the cause is fixed). */
  async retryImport(campaignUid: string): Promise<void> {
    const job = await this.producer.queue("import").getJob(jobIds.import(campaignUid, 1));
    if (job && (await job.getState()) === "failed") await job.remove();
  }

  async addValidations(campaignUid: string, batches: readonly number[][]): Promise<void> {
    await this.producer.addBulk(
      "validate",
      batches.map((phoneIds) => ({
        jobId: jobIds.validate(campaignUid, phoneIds[0]!),
        data: { campaignUid, phoneIds },
      })),
    );
  }

  /**
   * Adds (or re-adds) send jobs for pending outbox rows; returns how many it added. The caller knows the
   * rows are pending in PostgreSQL, so for each row's job id:
   *
   * - no job: added (new work, or Redis lost it);
   * - a finished job (completed or failed, kept by the queue's retention): it ran and the row is still
   *   pending (its claim was given back, a stale claim was reset), so nothing would ever send it again.
   *   The finished job is removed and the job added anew;
   * - a job waiting, delayed or active: left alone, never a duplicate beside it. (If an active job then
   *   finishes with the row still pending, the next reconcile finds it finished.)
   *
   * The states are read in one pipelined round trip, not one per row. A job that runs twice anyway
   * (a race with a worker) is harmless: the worker's claim on the outbox row is the final guard.
   */
  async addSends(
    campaignUid: string,
    rows: readonly { outboxId: number; attempts: number; dueInMs: number }[],
  ): Promise<number> {
    if (rows.length === 0) return 0;
    const queue = this.producer.queue("send");
    const ids = rows.map((r) => jobIds.send(r.outboxId, r.attempts));
    const states = await sendJobStates(queue, ids);
    const finished = ids.filter((_, i) => states[i] === "finished");
    const removed = await Promise.all(finished.map((id) => queue.remove(id)));
    // remove() answers 0 for a locked job: one a worker took meanwhile (a retry). Leave that one be.
    const kept = new Set(finished.filter((_, i) => removed[i] !== 1));
    const toAdd = rows.filter(
      (_, i) => states[i] === "absent" || (states[i] === "finished" && !kept.has(ids[i]!)),
    );
    await this.producer.addBulk(
      "send",
      toAdd.map((r) => ({
        jobId: jobIds.send(r.outboxId, r.attempts),
        data: { campaignUid, outboxId: r.outboxId },
        delayMs: r.dueInMs,
      })),
    );
    return toAdd.length;
  }

  /** Withdraws the campaign's jobs that have not started (waiting, delayed, prioritised). */
  async removeWaiting(
    campaignUid: string,
    queues: readonly QueueName[] = ["send", "validate", "import"],
  ): Promise<number> {
    let removed = 0;
    for (const name of queues) {
      const queue = this.producer.queue(name);
      const jobs: Job[] = await queue.getJobs(["wait", "delayed", "prioritized"]);
      for (const job of jobs) {
        if ((job.data as { campaignUid?: string } | undefined)?.campaignUid !== campaignUid) continue;
        await job.remove().then(
          () => removed++,
          () => undefined, // taken by a worker meanwhile: the outbox claim decides
        );
      }
    }
    return removed;
  }
}

type SendJobState = "absent" | "finished" | "queued";

/** The subset of ioredis's pipeline used here (the client behind BullMQ's Redis backend is ioredis). */
interface StatePipeline {
  exists(key: string): StatePipeline;
  zscore(key: string, member: string): StatePipeline;
  exec(): Promise<[Error | null, unknown][] | null>;
}

/**
 * Each job's state as far as `addSends` cares, in one pipeline: whether the job's hash exists and whether
 * its id is in the completed or failed set (BullMQ's own key layout: `queue.toKey(id)`, `queue.keys`).
 * Anything else that exists (waiting, delayed, prioritised, active) is "queued".
 */
async function sendJobStates(queue: Queue, ids: readonly string[]): Promise<SendJobState[]> {
  const client = (await queue.getBackend().client) as unknown as { pipeline(): StatePipeline };
  const pipeline = client.pipeline();
  for (const id of ids) {
    pipeline.exists(queue.toKey(id)).zscore(queue.keys.completed!, id).zscore(queue.keys.failed!, id);
  }
  const replies = (await pipeline.exec()) ?? [];
  return ids.map((_, i) => {
    const [exists, completed, failed] = replies.slice(3 * i, 3 * i + 3).map(([err, value]) => {
      if (err) throw err;
      return value;
    });
    if (completed !== null || failed !== null) return "finished";
    return exists === 1 ? "queued" : "absent";
  });
}
