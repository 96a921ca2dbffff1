/** The webhook process: the receiver on PORT with its health and metrics, until SIGTERM. */
import type * as k8s from "@kubernetes/client-node";
import { Registry, collectDefaultMetrics } from "prom-client";
import { env, parseEnv } from "../../lib/config.js";
import { createLogger, type Logger } from "../../lib/logger.js";
import { createPool } from "../../lib/db/pool.js";
import { JobProducer } from "../../lib/queue/producer.js";
import { CampaignSpecCache } from "../campaigns/spec-cache.js";
import { SenderRuntimeCache } from "../campaigns/sender-runtimes.js";
import { loadKubeConfig } from "../process/worker-process.js";
import { CachedRouteProviders } from "./route-providers.js";
import { buildWebhookServer } from "./server.js";
import { shareDispatchers } from "../../lib/kube/shared-dispatcher.js";

export const webhookConfigShape = {
  DATABASE_URL: env.postgresUrl(),
  REDIS_URL: env.redisUrl(),
  QUEUE_PREFIX: env.queuePrefix(),
  WEBHOOK_PORT: env.port(8080),
  WEBHOOK_BODY_LIMIT_BYTES: env.positiveInt(256 * 1024),
  LOG_LEVEL: env.logLevel(),
};

export function parseWebhookConfig(source: Record<string, string | undefined> = process.env) {
  return parseEnv(webhookConfigShape, source);
}

export interface RunningWebhook {
  port: number;
  stop(): Promise<void>;
}

export async function startWebhookProcess(options: {
  config: ReturnType<typeof parseWebhookConfig>;
  kubeConfig?: k8s.KubeConfig;
  logger?: Logger;
}): Promise<RunningWebhook> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ component: "webhook", level: config.LOG_LEVEL });
  const kc = shareDispatchers(options.kubeConfig ?? loadKubeConfig());
  const pool = createPool({ connectionString: config.DATABASE_URL, max: 20, logger });
  const producer = new JobProducer({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const specs = new CampaignSpecCache(pool);
  const senders = new SenderRuntimeCache({ kc, specs });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const app = buildWebhookServer({
    pool,
    producer,
    routes: new CachedRouteProviders(pool, specs, senders),
    logger,
    registry,
    bodyLimitBytes: config.WEBHOOK_BODY_LIMIT_BYTES,
    ready: async () => {
      await pool.query("SELECT 1");
      await producer.queue("inbound").waitUntilReady();
      return true;
    },
  });
  await app.listen({ port: config.WEBHOOK_PORT, host: "0.0.0.0" });
  const address = app.server.address();
  const port = typeof address === "object" && address ? address.port : config.WEBHOOK_PORT;
  logger.info({ port }, "Webhook receiver listening");
  return {
    port,
    stop: async () => {
      await app.close();
      await producer.close();
      await pool.end();
      logger.info("Webhook receiver stopped");
    },
  };
}
