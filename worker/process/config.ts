/** The worker's configuration, from environment variables, parsed once at start. */
import { z } from "zod";
import { env, parseEnv } from "../../lib/config.js";
import { QUEUE_SETTINGS } from "../../lib/queue/jobs.js";

export const workerConfigShape = {
  DATABASE_URL: env.postgresUrl(),
  REDIS_URL: env.redisUrl(),
  QUEUE_PREFIX: env.queuePrefix(),
  WORKER_CONCURRENCY: env.positiveInt(20),
  HEALTH_PORT: env.port(8081),
  SHUTDOWN_GRACE_SECONDS: env.positiveInt(25),
  /** How long after a claim an echo of the message may still arrive (stale-claim resolver). */
  SEND_ECHO_GRACE_SECONDS: env.positiveInt(300),
  /**
   * A send still claimed this long after its claim is stale (its worker died): the resolver decides it. Must
   * exceed the longest a send may take (typing warm-up + provider timeout); default the send lock (90 s) + 10 s.
   * Tests shorten it.
   */
  SEND_STALE_CLAIM_SECONDS: env.positiveInt(QUEUE_SETTINGS.send.lockDurationMs / 1000 + 10),
  /** How often the stale-claim resolver looks for stale claims. */
  SEND_STALE_CHECK_SECONDS: env.positiveInt(15),
  /** How often the outbound workers check their senders' connections for the controller. */
  SENDER_CHECK_SECONDS: env.positiveInt(20),
  LOG_LEVEL: env.logLevel(),
  POD_NAME: z.string().optional(),
};

export type WorkerConfig = ReturnType<typeof parseWorkerConfig>;

export function parseWorkerConfig(source: Record<string, string | undefined> = process.env) {
  return parseEnv(workerConfigShape, source);
}
