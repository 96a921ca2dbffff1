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
import type { SandboxHandle, SandboxOptions } from "../sandbox/index.js";
import type { RunningWebhook } from "../../worker/webhook/process.js";
import type { RunningWorker } from "../../worker/process/worker-process.js";
import type { RunningController } from "../../controller/process/controller-process.js";
import { SANDBOX_INSTANCE, SANDBOX_WEBHOOK_TOKEN, startComponents } from "../../cli/dev/components.js";
import { adminKubeConfig, freshNamespace, redisPrefix, testEnv } from "../harness/fixtures.js";
import { freshMigratedDatabase } from "../db.js";
import { waitFor } from "../harness/wait.js";

export const INSTANCE = SANDBOX_INSTANCE;
export const WEBHOOK_TOKEN = SANDBOX_WEBHOOK_TOKEN;

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
  const components = await startComponents({
    kc,
    databaseUrl,
    redisUrl,
    prefix,
    namespace,
    timeScale: options.timeScale ?? 0.01,
    sandbox: { timeScale: 0.01, ...options.sandbox },
    worker: options.worker,
    controller: options.controller,
    logger,
  });
  const { env, sandbox, webhook } = components;
  const core = kc.makeApiClient(k8s.CoreV1Api);
  await core.createNamespacedSecret({
    namespace,
    body: {
      metadata: { name: "sandbox-credentials" },
      stringData: { apiKey: sandbox.config.evolution.apiKey, webhookToken: WEBHOOK_TOKEN },
    },
  });
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const startWorker = components.startWorker;
  const worker = components.worker;
  const controller = components.controller;
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
      await stack.controller?.stop();
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
