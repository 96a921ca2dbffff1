/**
 * The CronJob a FollowUpSchedule owns: its name, and the complete intent the controller applies with
 * server-side apply (schedule, time zone, suspend, no overlapping runs, history, the hardened pod that
 * runs `busca-ativa followup run --schedule <ns>/<name>`). Pure: the same schedule and configuration
 * always give the same object, and its hash says which intent a live CronJob was made from.
 */
import { createHash } from "node:crypto";
import type { KubernetesObject, V1CronJob } from "@kubernetes/client-node";
import { controllerReference } from "../runtime/index.js";

export interface FollowUpControllerConfig {
  /** Image of the follow-up runs; its ENTRYPOINT is the busca-ativa CLI (FOLLOWUP_IMAGE). */
  image: string;
  /** ServiceAccount the runs use in each schedule's namespace (FOLLOWUP_SERVICE_ACCOUNT). */
  serviceAccountName: string;
  /** Secret with DATABASE_URL and REDIS_URL in each schedule's namespace, read through envFrom (FOLLOWUP_ENV_SECRET). */
  envSecretName: string;
  /** BullMQ key prefix (QUEUE_PREFIX), the same as the workers'. */
  queuePrefix: string;
  /** LOG_LEVEL of the runs. */
  logLevel: string;
  /** User, group and fsGroup the pod runs as; default 10001 (the image's user, as the chart). */
  runAsUser?: number;
  runAsGroup?: number;
  fsGroup?: number;
  /** Default IfNotPresent. */
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  /** A run taking longer than this is stopped; default 1800 s. */
  activeDeadlineSeconds?: number;
  /** Container resources; default requests 50m CPU and 128Mi, limits 500m and 256Mi. */
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
}

export const MANAGED_BY_LABEL = "app.kubernetes.io/managed-by";
export const MANAGED_BY = "busca-ativa";
export const SCHEDULE_LABEL = "buscaativa.io/followupschedule";
/** Hash of the intent a CronJob was last applied from: a different hash means the spec or configuration changed. */
export const INTENT_HASH_ANNOTATION = "buscaativa.io/intent-hash";
/** The longest CronJob name (its Jobs append 11 characters and must fit in 63). */
export const CRONJOB_NAME_MAX_LENGTH = 52;
export const STARTING_DEADLINE_SECONDS = 300;
export const HISTORY_LIMIT = 3;
export const BACKOFF_LIMIT = 2;

const DEFAULT_USER = 10001;
const DEFAULT_RESOURCES = {
  requests: { cpu: "50m", memory: "128Mi" },
  limits: { cpu: "500m", memory: "256Mi" },
};

/** A FollowUpSchedule as the controller sees it: its identity and the spec fields the CronJob takes. */
export interface ScheduleIdentity extends KubernetesObject {
  metadata: { name: string; namespace: string; uid: string };
  spec: { schedule: string; timeZone: string; suspend: boolean };
}

/**
 * The CronJob's name: the schedule's own (the API caps FollowUpSchedule names at 52 for this); a longer
 * name would be cut and given a hash suffix, so two schedules never share a CronJob.
 */
export function cronJobName(scheduleName: string): string {
  if (scheduleName.length <= CRONJOB_NAME_MAX_LENGTH) return scheduleName;
  const hash = createHash("sha256").update(scheduleName).digest("hex").slice(0, 8);
  return `${scheduleName.slice(0, CRONJOB_NAME_MAX_LENGTH - 9).replace(/[-.]+$/, "")}-${hash}`;
}

/** The arguments of the run (the image's ENTRYPOINT is the CLI). */
export function followUpRunArgs(namespace: string, name: string): string[] {
  return ["followup", "run", "--schedule", `${namespace}/${name}`];
}

export function cronJobLabels(scheduleName: string): Record<string, string> {
  return {
    [MANAGED_BY_LABEL]: MANAGED_BY,
    "app.kubernetes.io/name": "busca-ativa",
    "app.kubernetes.io/component": "followup",
    [SCHEDULE_LABEL]: scheduleName,
  };
}

/** The complete intent for the schedule's CronJob, with its hash annotation. */
export function desiredCronJob(schedule: ScheduleIdentity, config: FollowUpControllerConfig): V1CronJob {
  const { name, namespace } = schedule.metadata;
  const labels = cronJobLabels(name);
  const runAsUser = config.runAsUser ?? DEFAULT_USER;
  const runAsGroup = config.runAsGroup ?? DEFAULT_USER;
  const cronJob: V1CronJob = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: {
      name: cronJobName(name),
      namespace,
      labels,
      ownerReferences: [controllerReference(schedule)],
    },
    spec: {
      schedule: schedule.spec.schedule,
      timeZone: schedule.spec.timeZone,
      suspend: schedule.spec.suspend,
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: STARTING_DEADLINE_SECONDS,
      successfulJobsHistoryLimit: HISTORY_LIMIT,
      failedJobsHistoryLimit: HISTORY_LIMIT,
      jobTemplate: {
        metadata: { labels },
        spec: {
          backoffLimit: BACKOFF_LIMIT,
          activeDeadlineSeconds: config.activeDeadlineSeconds ?? 1800,
          template: {
            metadata: { labels },
            spec: {
              serviceAccountName: config.serviceAccountName,
              automountServiceAccountToken: true, // the run reads its FollowUpSchedule and Campaigns
              restartPolicy: "Never",
              securityContext: {
                runAsNonRoot: true,
                runAsUser,
                runAsGroup,
                fsGroup: config.fsGroup ?? runAsGroup,
                fsGroupChangePolicy: "OnRootMismatch",
                seccompProfile: { type: "RuntimeDefault" },
              },
              containers: [
                {
                  name: "followup",
                  image: config.image,
                  imagePullPolicy: config.imagePullPolicy ?? "IfNotPresent",
                  args: followUpRunArgs(namespace, name),
                  envFrom: [{ secretRef: { name: config.envSecretName } }],
                  env: [
                    { name: "QUEUE_PREFIX", value: config.queuePrefix },
                    { name: "LOG_LEVEL", value: config.logLevel },
                  ],
                  resources: config.resources ?? DEFAULT_RESOURCES,
                  securityContext: {
                    runAsNonRoot: true,
                    runAsUser,
                    runAsGroup,
                    allowPrivilegeEscalation: false,
                    readOnlyRootFilesystem: true,
                    privileged: false,
                    capabilities: { drop: ["ALL"] },
                    seccompProfile: { type: "RuntimeDefault" },
                  },
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: { medium: "Memory", sizeLimit: "64Mi" } }],
            },
          },
        },
      },
    },
  };
  const hash = createHash("sha256").update(JSON.stringify(cronJob)).digest("hex").slice(0, 16);
  cronJob.metadata!.annotations = { [INTENT_HASH_ANNOTATION]: hash };
  return cronJob;
}

/** The intent hash a CronJob was applied from, if any. */
export function intentHashOf(cronJob: KubernetesObject | undefined): string | undefined {
  return cronJob?.metadata?.annotations?.[INTENT_HASH_ANNOTATION];
}
