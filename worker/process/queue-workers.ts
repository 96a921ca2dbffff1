/**
 * The BullMQ workers of one process: one per queue of the groups it serves, each calling its processor with
 * the job's id-only payload. Outcomes that mean "not now" move the job back to delayed without counting an
 * attempt; retryable failures throw, so BullMQ retries them with exponential backoff and jitter.
 */
import { DelayedError, Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import type { Pool } from "pg";
import type { Counter, Histogram } from "prom-client";
import type { Logger } from "../../lib/logger.js";
import { jobIds, parseJobData, QUEUE_SETTINGS, type QueueName } from "../../lib/queue/jobs.js";
import type { JobProducer } from "../../lib/queue/producer.js";
import type { CampaignSpecCache } from "../campaigns/spec-cache.js";
import { processInbound } from "../inbound/reply-processor.js";
import { processSend, type SendDeps, type SendOutcome } from "../send/send-processor.js";
import { processDeliveryEvent } from "../status/status-processor.js";
import type { ImportRunner } from "../audience/import-runner.js";
import type { ValidateRunner } from "../validate/validate-processor.js";

export interface QueueWorkerDeps {
  connection: Redis;
  prefix: string;
  pool: Pool;
  producer: JobProducer;
  specs: CampaignSpecCache;
  send: Omit<SendDeps, "logger">;
  importer: ImportRunner;
  validator: ValidateRunner;
  logger: Logger;
  metrics: { jobs: Counter<"queue" | "outcome">; jobSeconds: Histogram<"queue"> };
  /** Concurrency per queue. */
  concurrency: Record<QueueName, number>;
}

export function startQueueWorkers(queues: readonly QueueName[], deps: QueueWorkerDeps): Worker[] {
  return queues.map((queue) => {
    const worker = new Worker(queue, (job, token) => run(queue, job, token, deps), {
      connection: deps.connection,
      prefix: deps.prefix,
      concurrency: deps.concurrency[queue],
      lockDuration: QUEUE_SETTINGS[queue].lockDurationMs,
      stalledInterval: 30_000,
      maxStalledCount: 2,
      autorun: true,
    });
    worker.on("failed", (job, err) => {
      deps.logger.warn(
        { queue, jobId: job?.id, attempts: job?.attemptsMade, error: err.message },
        "A job failed",
      );
    });
    worker.on("error", (err) =>
      deps.logger.error({ queue, error: err.message }, "A queue worker reported an error"),
    );
    return worker;
  });
}

async function run(
  queue: QueueName,
  job: Job,
  token: string | undefined,
  deps: QueueWorkerDeps,
): Promise<unknown> {
  const started = performance.now();
  let outcome = "done";
  try {
    const result = await dispatch(queue, job, deps);
    if (queue === "send" && result && typeof result === "object" && "result" in result) {
      const send = result as SendOutcome;
      outcome = send.result;
      if (send.result === "early" || send.result === "deferred") {
        await job.moveToDelayed(Date.now() + send.delayMs, token);
        throw new DelayedError();
      }
      if (send.result === "later") {
        // The claim attempt is over: the next one is a job of its own (ids follow claim attempts).
        const data = parseJobData("send", job.data);
        await deps.producer.add("send", {
          jobId: jobIds.send(data.outboxId, send.attempts),
          data,
          delayMs: send.delayMs,
        });
      }
    }
    return result;
  } catch (err) {
    if (err instanceof DelayedError) throw err;
    outcome = "error";
    throw err;
  } finally {
    deps.metrics.jobs.inc({ queue, outcome });
    deps.metrics.jobSeconds.observe({ queue }, (performance.now() - started) / 1000);
  }
}

async function dispatch(queue: QueueName, job: Job, deps: QueueWorkerDeps): Promise<unknown> {
  if (queue === "send") {
    // The send path makes its own child logger, and only when it logs (most sends do not).
    const data = parseJobData("send", job.data);
    return processSend(data.outboxId, { ...deps.send, logger: deps.logger, jobId: job.id });
  }
  const logger = deps.logger.child({ queue, jobId: job.id });
  switch (queue) {
    case "inbound": {
      const data = parseJobData("inbound", job.data);
      const outcome = await processInbound(data.inboundId, { pool: deps.pool, specs: deps.specs, logger });
      await enqueueSends(deps, outcome.answerOutboxIds);
      return outcome;
    }
    case "status": {
      const data = parseJobData("status", job.data);
      return processDeliveryEvent(data.deliveryEventId, deps.pool, logger);
    }
    case "import": {
      const data = parseJobData("import", job.data);
      return deps.importer.run(data.campaignUid, logger);
    }
    case "validate": {
      const data = parseJobData("validate", job.data);
      return deps.validator.run(data.campaignUid, data.phoneIds, logger);
    }
  }
}

/** Queues send jobs for outbox rows (by their ids). */
export async function enqueueSends(
  deps: Pick<QueueWorkerDeps, "producer" | "pool">,
  outboxIds: readonly number[],
): Promise<void> {
  if (outboxIds.length === 0) return;
  const { rows } = await deps.pool.query<{
    id: number;
    campaign_uid: string;
    attempts: number;
    wait_ms: number;
  }>(
    `SELECT id, campaign_uid, attempts,
            GREATEST(0, (extract(epoch FROM not_before - now()) * 1000))::bigint AS wait_ms
     FROM outbox WHERE id = ANY($1::bigint[]) AND state = 'pending'`,
    [outboxIds],
  );
  await deps.producer.addBulk(
    "send",
    rows.map((r) => ({
      jobId: jobIds.send(r.id, r.attempts),
      data: { campaignUid: r.campaign_uid, outboxId: r.id },
      delayMs: r.wait_ms,
    })),
  );
}
