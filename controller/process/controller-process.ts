/**
 * The controller process: informers and caches on every replica, reconcilers only on the leader (a
 * coordination.k8s.io Lease), `/healthz`, `/readyz` and `/metrics` on HEALTH_PORT. A replica that loses its
 * lease stops reconciling and exits, so that a fresh process rejoins the election.
 */
import { hostname } from "node:os";
import { randomBytes } from "node:crypto";
import * as k8s from "@kubernetes/client-node";
import { Registry, collectDefaultMetrics } from "prom-client";
import { createLogger, type Logger } from "../../lib/logger.js";
import { createPool } from "../../lib/db/pool.js";
import { JobProducer } from "../../lib/queue/producer.js";
import {
  HealthServer,
  LeaderElector,
  informersSynced,
  type Controller,
  type LeadershipEnd,
} from "../runtime/index.js";
import { createCampaignController } from "../campaign/reconciler.js";
import { createFollowUpController } from "../followup/reconciler.js";
import { followUpCovers } from "../followup/coverage.js";
import type { ControllerConfig } from "./config.js";
import { shareDispatchers } from "../../lib/kube/shared-dispatcher.js";

export interface RunningController {
  healthPort: number;
  /** Resolves when the process should end by itself (leadership lost). */
  stopped: Promise<LeadershipEnd>;
  stop(): Promise<void>;
}

export async function startControllerProcess(options: {
  config: ControllerConfig;
  kubeConfig?: k8s.KubeConfig;
  logger?: Logger;
}): Promise<RunningController> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ component: "controller", level: config.LOG_LEVEL });
  const kc = shareDispatchers(options.kubeConfig ?? loadKubeConfig());
  const identity = config.POD_NAME ?? `${hostname()}-${randomBytes(3).toString("hex")}`;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const pool = createPool({
    connectionString: config.DATABASE_URL,
    max: config.CONTROLLER_WORKERS + 4,
    logger,
  });
  const producer = new JobProducer({ redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX });
  const namespaces = config.WATCH_NAMESPACES.split(",")
    .map((n) => n.trim())
    .filter(Boolean);

  const namespace = namespaces.length === 1 ? namespaces[0] : undefined;
  const followUps = createFollowUpController({
    kubeConfig: kc,
    pool,
    config: {
      image: config.FOLLOWUP_IMAGE,
      serviceAccountName: config.FOLLOWUP_SERVICE_ACCOUNT,
      envSecretName: config.FOLLOWUP_ENV_SECRET,
      queuePrefix: config.QUEUE_PREFIX,
      logLevel: config.LOG_LEVEL,
    },
    logger,
    registry,
    instance: identity,
    ...(namespace ? { namespace } : {}),
  });
  const campaigns = createCampaignController({
    kubeConfig: kc,
    pool,
    producer,
    logger,
    registry,
    instance: identity,
    workers: config.CONTROLLER_WORKERS,
    timeScale: config.TIME_SCALE,
    jobEvents: { redisUrl: config.REDIS_URL, prefix: config.QUEUE_PREFIX },
    followUpCovers: followUpCovers(followUps.schedules),
    ...(namespace ? { namespace } : {}),
  });
  const controllers: Controller[] = [campaigns.controller, followUps.controller];
  const informers = [campaigns.informer, ...followUps.informers];

  const health = new HealthServer({ port: config.HEALTH_PORT, registry, logger });
  health.addHealthzCheck("ping", () => undefined);
  health.addReadyzCheck("informers", informersSynced(informers));
  await health.start();
  for (const informer of informers) informer.start();

  const abort = new AbortController();
  const startReconciling = async () => {
    for (const controller of controllers) await controller.start();
    logger.info("Reconciling as the leader");
  };
  let stopped: Promise<LeadershipEnd>;
  if (config.LEADER_ELECTION) {
    const elector = new LeaderElector({
      kubeConfig: kc,
      namespace: config.POD_NAMESPACE,
      name: "busca-ativa-controller",
      identity,
      logger,
      registry,
      onStartedLeading: startReconciling,
    });
    stopped = elector.run(abort.signal);
  } else {
    await startReconciling();
    stopped = new Promise((resolve) => abort.signal.addEventListener("abort", () => resolve("cancelled")));
  }
  if (config.TIME_SCALE !== 1)
    logger.warn({ timeScale: config.TIME_SCALE }, "Time is accelerated: for demos and tests only");
  logger.info({ identity, leaderElection: config.LEADER_ELECTION, namespaces }, "Controller started");

  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      abort.abort();
      for (const controller of controllers) await controller.stop();
      await stopped.catch(() => undefined);
      await Promise.all(informers.map((informer) => informer.stop()));
      followUps.events.stop();
      await campaigns.close();
      await health.stop();
      await producer.close();
      await pool.end();
      logger.info("Controller stopped");
    })());
  return { healthPort: health.port, stopped, stop };
}

export function loadKubeConfig(): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromDefault();
  return kc;
}
