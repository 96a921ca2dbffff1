/**
 * A whole local stack inside the test process, on the harness's real servers: a fresh migrated database,
 * a Redis key prefix, a namespace, the sandbox WhatsApp server, and the webhook receiver, worker and
 * controller processes' code (started as in production, minus leader election). Campaign manifests are
 * applied with the admin kubeconfig, as `kubectl apply` would.
 */
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import pg from "pg";
import { installCrds } from "../../crds/install.js";
import {
  CAMPAIGN_PLURAL,
  GROUP,
  VERSION,
  type CampaignSpecInput,
  type CampaignStatus,
} from "../../crds/index.js";
import { createLogger, type Logger } from "../../lib/logger.js";
import { startSandbox, type SandboxHandle, type SandboxOptions } from "../sandbox/index.js";
import {
  startWebhookProcess,
  parseWebhookConfig,
  type RunningWebhook,
} from "../../worker/webhook/process.js";
import { startWorkerProcess, type RunningWorker } from "../../worker/process/worker-process.js";
import { parseWorkerConfig } from "../../worker/process/config.js";
import {
  startControllerProcess,
  type RunningController,
} from "../../controller/process/controller-process.js";
import { parseControllerConfig } from "../../controller/process/config.js";
import { adminKubeConfig, freshNamespace, redisPrefix, testEnv } from "../harness/fixtures.js";
import { freshMigratedDatabase } from "../db.js";
import { waitFor } from "../harness/wait.js";

export const INSTANCE = "hospital-teste";
export const WEBHOOK_TOKEN = "token-de-teste";

export interface StackOptions {
  sandbox?: SandboxOptions;
  /** Pacing time scale for the controller (demo acceleration); default 0.01. */
  timeScale?: number;
  /** Start the worker (all groups); default true. */
  worker?: boolean;
  controller?: boolean;
  logLevel?: string;
}

export interface LocalStack {
  namespace: string;
  kc: k8s.KubeConfig;
  databaseUrl: string;
  redisUrl: string;
  prefix: string;
  pool: pg.Pool;
  sandbox: SandboxHandle;
  webhook: RunningWebhook;
  worker?: RunningWorker;
  controller?: RunningController;
  env: Record<string, string>;
  logger: Logger;
  /** Creates the credentials Secret and a patient-list Secret holding `csv`, and applies a Campaign. */
  createCampaign(name: string, csv: string, spec?: Partial<CampaignSpecInput>): Promise<string>;
  campaignStatus(name: string): Promise<CampaignStatus | undefined>;
  waitForPhase(name: string, phase: string, timeoutMs: number): Promise<CampaignStatus>;
  startWorker(): Promise<RunningWorker>;
  stop(): Promise<void>;
}

export async function startLocalStack(options: StackOptions = {}): Promise<LocalStack> {
  const kc = adminKubeConfig();
  await installCrds(kc);
  const { value: namespace } = await freshNamespace("e2e");
  const { value: databaseUrl } = await freshMigratedDatabase();
  const redisUrl = testEnv().redisUrl;
  const prefix = redisPrefix("e2e");
  const logger = createLogger({
    component: "e2e",
    level: options.logLevel ?? process.env.E2E_LOG_LEVEL ?? "silent",
  });
  const env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    QUEUE_PREFIX: prefix,
    HEALTH_PORT: "0",
    WEBHOOK_PORT: "0",
    LOG_LEVEL: logger.level,
    LEADER_ELECTION: "false",
    WATCH_NAMESPACES: namespace,
    TIME_SCALE: String(options.timeScale ?? 0.01),
    SENDER_CHECK_SECONDS: "2",
    SEND_ECHO_GRACE_SECONDS: "5",
  };
  const webhook = await startWebhookProcess({
    config: parseWebhookConfig(env),
    kubeConfig: kc,
    logger: logger.child({ process: "webhook" }),
  });
  const sandboxOptions = options.sandbox ?? {};
  const sandbox = await startSandbox({
    timeScale: 0.01,
    ...sandboxOptions,
    evolution: { instances: [{ name: INSTANCE }] },
    webhooks: {
      ...sandboxOptions.webhooks,
      evolution: {
        url: `http://127.0.0.1:${webhook.port}/webhooks/sandbox/${namespace}/${INSTANCE}`,
        headers: { "x-webhook-token": WEBHOOK_TOKEN },
        ...sandboxOptions.webhooks?.evolution,
      },
    },
  });
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: "sandbox-credentials" },
      stringData: { apiKey: sandbox.config.evolution.apiKey, webhookToken: WEBHOOK_TOKEN },
    },
  });
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const startWorker = () =>
    startWorkerProcess({
      config: parseWorkerConfig(env),
      groups: ["outbound", "inbound"],
      kubeConfig: kc,
      logger: logger.child({ process: "worker" }),
    });
  const worker = options.worker === false ? undefined : await startWorker();
  const controller =
    options.controller === false
      ? undefined
      : await startControllerProcess({
          config: parseControllerConfig(env),
          kubeConfig: kc,
          logger: logger.child({ process: "controller" }),
        });
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);

  const stack: LocalStack = {
    namespace,
    kc,
    databaseUrl,
    redisUrl,
    prefix,
    pool,
    sandbox,
    webhook,
    worker,
    controller,
    env,
    logger,
    startWorker,
    async createCampaign(name, csv, spec = {}) {
      const listSecret = `${name}-lista`;
      await core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: listSecret }, stringData: { "lista.csv": csv } },
      });
      const body = {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "Campaign",
        metadata: { name },
        spec: {
          audience: { secretKeyRef: { name: listSecret, key: "lista.csv" } },
          message: {
            template:
              "Olá, {nome}! Você está na lista para {procedimento}. Ainda tem interesse? 1 SIM / 2 NÃO / 3 DESCONHEÇO",
          },
          sender: {
            provider: "sandbox",
            credentialsSecretRef: { name: "sandbox-credentials" },
            instance: INSTANCE,
            baseUrl: sandbox.url,
          },
          schedule: {
            window: { start: "00:00", end: "23:59" },
            daysOfWeek: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
            dailyQuota: 10_000,
            typingWarmup: "0s",
          },
          ...spec,
        },
      };
      const created = (await custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: CAMPAIGN_PLURAL,
        body,
      })) as {
        metadata: { uid: string };
      };
      return created.metadata.uid;
    },
    async campaignStatus(name) {
      const obj = (await custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: CAMPAIGN_PLURAL,
        name,
      })) as {
        status?: CampaignStatus;
      };
      return obj.status;
    },
    async waitForPhase(name, phase, timeoutMs) {
      return waitFor(
        async () => {
          const status = await stack.campaignStatus(name);
          return status?.phase === phase ? status : undefined;
        },
        { timeoutMs, what: `campaign ${name} to reach phase ${phase}`, intervalMs: 250 },
      );
    },
    async stop() {
      await controller?.stop();
      await stack.worker?.stop();
      await webhook.stop();
      await sandbox.close();
      await pool.end();
    },
  };
  return stack;
}

/** A CSV patient list of `n` synthetic patients with distinct mobile numbers (DDD 85). */
export function syntheticList(n: number, offset = 0): string {
  const lines = ["nome;telefone;procedimento"];
  for (let i = 0; i < n; i++) {
    const k = offset + i;
    lines.push(
      `Paciente ${k};(85) 9${String(80000000 + k)
        .padStart(8, "0")
        .slice(0, 4)}-${String(80000000 + k).slice(4)};CIRURGIA ${k % 7}`,
    );
  }
  return lines.join("\n");
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString("hex")}`;
}
