/**
 * The product's processes started together on given infrastructure (a Kubernetes API server, Redis,
 * PostgreSQL): the sandbox WhatsApp server, the webhook receiver, a worker for every queue group and the
 * controller — the same code as in production, inside this process. Used by `busca-ativa dev up`, the demo
 * and the end-to-end tests.
 */
import type * as k8s from "@kubernetes/client-node";
import { createLogger, type Logger } from "../../lib/logger.js";
import { startSandbox, type SandboxHandle, type SandboxOptions } from "../../test/sandbox/index.js";
import {
  parseWebhookConfig,
  startWebhookProcess,
  type RunningWebhook,
} from "../../worker/webhook/process.js";
import { startWorkerProcess, type RunningWorker } from "../../worker/process/worker-process.js";
import { parseWorkerConfig } from "../../worker/process/config.js";
import {
  startControllerProcess,
  type RunningController,
} from "../../controller/process/controller-process.js";
import { parseControllerConfig } from "../../controller/process/config.js";

/** The sandbox instance every local campaign sends through, and the webhook token it signs with. */
export const SANDBOX_INSTANCE = "hospital-local";
export const SANDBOX_WEBHOOK_TOKEN = "token-local";

export interface ComponentsOptions {
  kc: k8s.KubeConfig;
  databaseUrl: string;
  redisUrl: string;
  /** BullMQ key prefix. */
  prefix: string;
  /** The namespace campaigns live in (the webhook route and the controller's watch). */
  namespace: string;
  /** Accelerated time for pacing and follow-ups (demos, tests); default 1. */
  timeScale?: number;
  sandbox?: SandboxOptions;
  worker?: boolean;
  controller?: boolean;
  logger?: Logger;
  /** Fixed ports (dev up); default free ports. */
  webhookPort?: number;
  sandboxPort?: number;
}

export interface Components {
  sandbox: SandboxHandle;
  webhook: RunningWebhook;
  worker?: RunningWorker;
  controller?: RunningController;
  /** The environment the processes were configured with (for the CLI's own commands). */
  env: Record<string, string>;
  logger: Logger;
  startWorker(): Promise<RunningWorker>;
  startController(): Promise<RunningController>;
  stop(): Promise<void>;
}

export async function startComponents(options: ComponentsOptions): Promise<Components> {
  const logger = options.logger ?? createLogger({ component: "local", level: "silent" });
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    QUEUE_PREFIX: options.prefix,
    HEALTH_PORT: "0",
    WEBHOOK_PORT: String(options.webhookPort ?? 0),
    LOG_LEVEL: logger.level,
    LEADER_ELECTION: "false",
    WATCH_NAMESPACES: options.namespace,
    TIME_SCALE: String(options.timeScale ?? 1),
    SENDER_CHECK_SECONDS: "2",
    SEND_ECHO_GRACE_SECONDS: "5",
  };
  const kubeConfig = options.kc;
  const webhook = await startWebhookProcess({
    config: parseWebhookConfig(env),
    kubeConfig,
    logger: logger.child({ process: "webhook" }),
  });
  const sandboxOptions = options.sandbox ?? {};
  const sandbox = await startSandbox({
    ...sandboxOptions,
    ...(options.sandboxPort !== undefined ? { port: options.sandboxPort } : {}),
    evolution: { instances: [{ name: SANDBOX_INSTANCE }] },
    webhooks: {
      ...sandboxOptions.webhooks,
      evolution: {
        url: `http://127.0.0.1:${webhook.port}/webhooks/sandbox/${options.namespace}/${SANDBOX_INSTANCE}`,
        headers: { "x-webhook-token": SANDBOX_WEBHOOK_TOKEN },
        ...sandboxOptions.webhooks?.evolution,
      },
    },
  });
  const startWorker = () =>
    startWorkerProcess({
      config: parseWorkerConfig(env),
      groups: ["outbound", "inbound"],
      kubeConfig,
      logger: logger.child({ process: "worker" }),
    });
  const startController = () =>
    startControllerProcess({
      config: parseControllerConfig(env),
      kubeConfig,
      logger: logger.child({ process: "controller" }),
    });
  const components: Components = {
    sandbox,
    webhook,
    worker: options.worker === false ? undefined : await startWorker(),
    controller: options.controller === false ? undefined : await startController(),
    env,
    logger,
    startWorker,
    startController,
    async stop() {
      await components.controller?.stop();
      await components.worker?.stop();
      await webhook.stop();
      await sandbox.close();
    },
  };
  return components;
}
