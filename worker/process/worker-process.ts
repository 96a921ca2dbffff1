/**
 * The worker process: BullMQ workers for the queue groups it is told to serve, a health, readiness and
 * metrics server, and (outbound group) the stale-claim resolver. On SIGTERM it stops taking jobs and gives
 * the active ones `SHUTDOWN_GRACE_SECONDS` to finish; a job still running then is left to BullMQ's stall
 * check (its lock expires and it runs again elsewhere), and the outbox claim makes a rerun safe. No job is lost.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import Fastify from "fastify";
import { Redis } from "ioredis";
import type { Worker } from "bullmq";
import { createLogger, type Logger } from "../../lib/logger.js";
import { createPool, type Pool, type PoolClient } from "../../lib/db/pool.js";
import { QUEUE_GROUPS, type QueueGroup, type QueueName } from "../../lib/queue/jobs.js";
import { JobProducer } from "../../lib/queue/producer.js";
import { CampaignSpecCache } from "../campaigns/spec-cache.js";
import { SenderRuntimeCache } from "../campaigns/sender-runtimes.js";
import { AudienceImportRunner } from "../audience/import-runner.js";
import { PhoneValidator } from "../validate/validate-processor.js";
import { SenderLimiter } from "../ratelimit/sender-limiter.js";
import { resolveStaleClaims } from "../send/stale-claims.js";
import { OutboxBatches } from "../send/outbox-batches.js";
import { checkSenders } from "../campaigns/sender-health.js";
import { enqueueSends, startQueueWorkers } from "./queue-workers.js";
import { WorkerLiveness } from "./liveness.js";
import { workerMetrics } from "./metrics.js";
import { assertNoEviction } from "./redis-policy.js";
import type { WorkerConfig } from "./config.js";
import { shareDispatchers } from "../../lib/kube/shared-dispatcher.js";

export interface WorkerProcessOptions {
  config: WorkerConfig;
  groups: readonly QueueGroup[];
  kubeConfig?: k8s.KubeConfig;
  logger?: Logger;
}

export interface RunningWorker {
  /** The health server's port (useful when HEALTH_PORT is 0). */
  healthPort: number;
  stop(): Promise<void>;
}

const CONCURRENCY_SHARE: Record<QueueName, number> = {
  import: 0,
  validate: 0,
  send: 1,
  inbound: 1,
  status: 1,
};

export async function startWorkerProcess(options: WorkerProcessOptions): Promise<RunningWorker> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ component: "worker", level: config.LOG_LEVEL });
  const workerId = config.POD_NAME ?? `${hostname()}-${randomBytes(3).toString("hex")}`;
  const queues = [...new Set(options.groups.flatMap((g) => QUEUE_GROUPS[g]))];

  const connection = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
  connection.on("error", (err) => logger.warn({ error: err.message }, "Redis connection error"));
  try {
    await assertNoEviction(connection);
  } catch (err) {
    // An open connection would keep the process alive: the CLI could not exit with the message.
    connection.disconnect();
    throw err;
  }

  const kc = shareDispatchers(options.kubeConfig ?? loadKubeConfig());
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: config.WORKER_CONCURRENCY + 5,
    logger,
  });
  const producer = new JobProducer({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const specs = new CampaignSpecCache(pool);
  const senders = new SenderRuntimeCache({ kc, specs });
  const limiter = new SenderLimiter({ redis: connection, prefix: config.QUEUE_PREFIX });
  const metrics = workerMetrics();
  const concurrency = Object.fromEntries(
    Object.entries(CONCURRENCY_SHARE).map(([q, share]) => [
      q,
      Math.max(1, Math.round(config.WORKER_CONCURRENCY * share)),
    ]),
  ) as Record<QueueName, number>;
  concurrency.validate = 2;
  concurrency.import = 1;

  const workers: Worker[] = startQueueWorkers(queues, {
    connection,
    prefix: config.QUEUE_PREFIX,
    pool,
    producer,
    specs,
    send: {
      pool,
      outbox: new OutboxBatches({ pool, workerId }),
      senders,
      limiter,
      workerId,
      onProviderCall: ({ kind, seconds, outcome }) => {
        metrics.providerSeconds.observe({ kind }, seconds);
        if (outcome !== "sent") metrics.providerErrors.inc({ class: outcome });
      },
    },
    importer: new AudienceImportRunner({ pool, kc, specs }),
    validator: new PhoneValidator({ pool, senders }),
    logger,
    metrics,
    concurrency,
  });
  const liveness = new WorkerLiveness(workers, { main: connection });

  const timers: NodeJS.Timeout[] = [];
  if (queues.includes("send")) {
    const echoGraceMs = config.SEND_ECHO_GRACE_SECONDS * 1000;
    const resolve = async () => {
      const result = await resolveStaleClaims(
        pool,
        { staleAfterMs: config.SEND_STALE_CLAIM_SECONDS * 1000, echoGraceMs },
        logger,
      );
      await enqueueSends({ pool, producer }, result.requeuedIds);
    };
    timers.push(
      setInterval(
        () => void singleton(pool, 7261001, "stale-claim resolver", resolve, logger),
        config.SEND_STALE_CHECK_SECONDS * 1000,
      ),
    );
    const probe = () => checkSenders({ pool, specs, senders, logger }).then(() => undefined);
    void singleton(pool, 7261002, "sender check", probe, logger);
    timers.push(
      setInterval(
        () => void singleton(pool, 7261002, "sender check", probe, logger),
        config.SENDER_CHECK_SECONDS * 1000,
      ),
    );
  }

  const health = Fastify({ logger: false });
  health.get("/healthz", async (_req, reply) => {
    const problem = await liveness.problem();
    return reply.code(problem ? 500 : 200).send(problem ? { ok: false, problem } : { ok: true });
  });
  health.get("/readyz", async (_req, reply) => {
    const ok = connection.status === "ready" && workers.every((w) => w.isRunning());
    return reply.code(ok ? 200 : 503).send({ ok });
  });
  health.get("/metrics", async (_req, reply) => {
    const queueMetrics = await Promise.all(
      queues.map((q) => producer.queue(q).exportPrometheusMetrics({ group: q })),
    );
    return reply
      .type(metrics.registry.contentType)
      .send(`${await metrics.registry.metrics()}\n${queueMetrics.join("\n")}`);
  });
  await health.listen({ port: config.HEALTH_PORT, host: "0.0.0.0" });
  const address = health.server.address();
  const healthPort = typeof address === "object" && address ? address.port : config.HEALTH_PORT;
  logger.info({ queues, workerId, healthPort }, "Worker started");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info(
        { graceSeconds: config.SHUTDOWN_GRACE_SECONDS },
        "Worker stopping: no new jobs, finishing active ones",
      );
      for (const timer of timers) clearInterval(timer);
      const graceful = Promise.all(workers.map((w) => w.close()));
      const timedOut = await Promise.race([
        graceful.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), config.SHUTDOWN_GRACE_SECONDS * 1000).unref()),
      ]);
      if (timedOut) {
        logger.warn(
          "Active jobs did not finish in the grace period; they run again after their locks expire",
        );
        await Promise.all(workers.map((w) => w.close(true)));
      }
      liveness.stop();
      await health.close();
      await producer.close();
      await pool.end();
      connection.disconnect();
      logger.info("Worker stopped");
    })());
  return { healthPort, stop };
}

/** Runs `work` on one replica at a time (a PostgreSQL advisory lock); failures are logged, never thrown. */
async function singleton(
  pool: Pool,
  lock: number,
  name: string,
  work: () => Promise<void>,
  logger: Logger,
): Promise<void> {
  let client: PoolClient | undefined;
  try {
    client = await pool.connect();
    const { rows } = await client.query<{ locked: boolean }>("SELECT pg_try_advisory_lock($1) AS locked", [
      lock,
    ]);
    if (!rows[0]?.locked) return;
    try {
      await work();
    } finally {
      await client.query("SELECT pg_advisory_unlock($1)", [lock]);
    }
  } catch (err) {
    logger.warn(
      { task: name, error: (err as Error).message },
      "A periodic task failed; it runs again shortly",
    );
  } finally {
    client?.release();
  }
}

export function loadKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return kc;
}
