/**
 * The controller's side of the queues: adding a campaign's import, validation and send jobs with their
 * deterministic ids (adding twice is a no-op), re-creating send jobs PostgreSQL says should exist (after
 * Redis was lost), and withdrawing a campaign's waiting jobs (suspend, delete).
 */
import type { Job } from "bullmq";
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

  /** Adds (or re-adds, when Redis lost them) send jobs for pending outbox rows. */
  async addSends(
    campaignUid: string,
    rows: readonly { outboxId: number; attempts: number; dueInMs: number }[],
  ): Promise<number> {
    const queue = this.producer.queue("send");
    const missing: { outboxId: number; attempts: number; dueInMs: number }[] = [];
    for (const row of rows) {
      const existing = await queue.getJob(jobIds.send(row.outboxId, row.attempts));
      if (!existing) missing.push(row);
    }
    await this.producer.addBulk(
      "send",
      missing.map((r) => ({
        jobId: jobIds.send(r.outboxId, r.attempts),
        data: { campaignUid, outboxId: r.outboxId },
        delayMs: r.dueInMs,
      })),
    );
    return missing.length;
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
