/** The controller's configuration, from environment variables, parsed once at start. */
import { z } from "zod";
import { env, parseEnv } from "../../lib/config.js";

export const controllerConfigShape = {
  DATABASE_URL: env.postgresUrl(),
  REDIS_URL: env.redisUrl(),
  QUEUE_PREFIX: env.queuePrefix(),
  HEALTH_PORT: env.port(8081),
  LOG_LEVEL: env.logLevel(),
  POD_NAME: z.string().optional(),
  /** The namespace of the leader-election Lease; default the pod's namespace. */
  POD_NAMESPACE: z.string().default("default"),
  LEADER_ELECTION: env.bool(true),
  /** Comma-separated namespaces to watch; empty: all. */
  WATCH_NAMESPACES: z.string().default(""),
  CONTROLLER_WORKERS: env.positiveInt(4),
  /** What the follow-up CronJobs run. */
  FOLLOWUP_IMAGE: z.string().default("ghcr.io/busca-ativa/busca-ativa:latest"),
  FOLLOWUP_SERVICE_ACCOUNT: z.string().default("busca-ativa-followup"),
  FOLLOWUP_ENV_SECRET: z.string().default("busca-ativa-connections"),
  /** Accelerated time for demos and tests only (0 < x <= 1); see docs/operations.md. */
  TIME_SCALE: z.coerce
    .number({ message: "expected a number above 0 and at most 1" })
    .gt(0, { message: "expected a number above 0 and at most 1" })
    .max(1, { message: "expected a number above 0 and at most 1" })
    .default(1),
};

export function parseControllerConfig(source: Record<string, string | undefined> = process.env) {
  return parseEnv(controllerConfigShape, source);
}

export type ControllerConfig = ReturnType<typeof parseControllerConfig>;
