/**
 * The FollowUpSchedule reconciler: each schedule owns one batch/v1 CronJob that runs
 * `busca-ativa followup run --schedule <ns>/<name>`, kept equal to the spec and the controller's
 * configuration with server-side apply (drift is put back); the status shows the CronJob, its last
 * schedule and success times and the counts of the last run recorded in PostgreSQL. Status is written
 * only when it changed, so a schedule at rest causes no writes.
 */
import { BatchV1Api, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { Pool } from "pg";
import type { Registry } from "prom-client";
import {
  FOLLOW_UP_SCHEDULE_KIND,
  FOLLOW_UP_SCHEDULE_PLURAL,
  FollowUpScheduleConditionReason as Reason,
  GROUP,
  VERSION,
  CAMPAIGN_PLURAL,
  followUpScheduleSchema,
  formatIssues,
  type FollowUpSchedule,
  type FollowUpScheduleStatus,
} from "../../crds/index.js";
import type { Logger } from "../../lib/logger.js";
import {
  Controller,
  DEFAULT_FIELD_MANAGER,
  EventRecorder,
  Informer,
  TerminalError,
  applyObject,
  describeApiError,
  findCondition,
  isNotFound,
  mergePatchStatus,
  splitKey,
  statusEqual,
  systemClock,
  type Clock,
  type Condition,
} from "../runtime/index.js";
import { coveredCampaigns } from "./coverage.js";
import {
  identityOf,
  isControlledBy,
  isKnownTimeZone,
  metaTemplateProblem,
  nullsForRemoved,
  whatChanges,
  type Change,
} from "./checks.js";
import {
  MANAGED_BY,
  MANAGED_BY_LABEL,
  SCHEDULE_LABEL,
  cronJobName,
  desiredCronJob,
  type FollowUpControllerConfig,
} from "./cronjob.js";
import { latestFinishedRun } from "./run-store.js";
import { desiredStatus, type ScheduleProblem } from "./status.js";

/** A FollowUpSchedule, CronJob or Campaign as the informers hold it (plain JSON). */
export type PlainObject = KubernetesObject & { spec?: unknown; status?: unknown };

export interface FollowUpControllerOptions {
  kubeConfig: KubeConfig;
  pool: Pool;
  config: FollowUpControllerConfig;
  logger: Logger;
  registry?: Registry;
  /** Informers to share with the rest of the controller; made here when not given. */
  scheduleInformer?: Informer<PlainObject>;
  /** Must hold the CronJobs labelled app.kubernetes.io/managed-by=busca-ativa. */
  cronJobInformer?: Informer<PlainObject>;
  campaignInformer?: Informer<PlainObject>;
  /** Watch one namespace instead of all (for informers made here). */
  namespace?: string;
  events?: EventRecorder;
  /** reportingInstance of the Events made here; default POD_NAME or "busca-ativa-controller". */
  instance?: string;
  clock?: Clock;
  /** Reconcile each schedule again this often, to pick up new run results; default 600,000 ms (10 min). */
  statusRefreshMs?: number;
  workers?: number;
}

export interface FollowUpController {
  controller: Controller;
  schedules: Informer<PlainObject>;
  cronJobs: Informer<PlainObject>;
  campaigns: Informer<PlainObject>;
  /** Every informer the controller reads: start them on every replica (starting one twice does nothing). */
  informers: Informer<PlainObject>[];
  events: EventRecorder;
}

const CRONJOB_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY},${SCHEDULE_LABEL}`;

export function createFollowUpController(options: FollowUpControllerOptions): FollowUpController {
  const base = (group: string, plural: string) =>
    options.namespace
      ? `/apis/${group}/namespaces/${options.namespace}/${plural}`
      : `/apis/${group}/${plural}`;
  const informer = (name: string, path: string, labelSelector?: string) =>
    new Informer<PlainObject>({
      name,
      kubeConfig: options.kubeConfig,
      path,
      logger: options.logger,
      ...(options.registry ? { registry: options.registry } : {}),
      ...(labelSelector ? { labelSelector } : {}),
    });
  const schedules =
    options.scheduleInformer ??
    informer("followupschedules", base(`${GROUP}/${VERSION}`, FOLLOW_UP_SCHEDULE_PLURAL));
  const cronJobs =
    options.cronJobInformer ?? informer("cronjobs", base("batch/v1", "cronjobs"), CRONJOB_SELECTOR);
  const campaigns =
    options.campaignInformer ?? informer("campaigns", base(`${GROUP}/${VERSION}`, CAMPAIGN_PLURAL));
  const events =
    options.events ??
    new EventRecorder({
      kubeConfig: options.kubeConfig,
      reportingController: "buscaativa.io/controller",
      reportingInstance: options.instance ?? process.env.POD_NAME ?? "busca-ativa-controller",
      logger: options.logger,
      ...(options.clock ? { clock: options.clock } : {}),
    });
  const reconciler = new FollowUpReconciler(options, schedules, cronJobs, campaigns, events);
  const controller = new Controller({
    name: "followupschedule",
    reconcile: (key) => reconciler.reconcile(key),
    workers: options.workers ?? 2,
    logger: options.logger,
    ...(options.registry ? { registry: options.registry } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
  })
    .watch(schedules)
    .watchOwned(cronJobs, { group: GROUP, kind: FOLLOW_UP_SCHEDULE_KIND })
    // A campaign that appears, goes, or changes labels or spec may change what a schedule covers.
    .watchMapped(
      campaigns,
      (campaign) =>
        schedules
          .list(campaign.metadata?.namespace)
          .map((s) => `${s.metadata?.namespace}/${s.metadata?.name}`),
      {
        predicate: (obj, old) =>
          !old ||
          obj.metadata?.generation !== old.metadata?.generation ||
          !statusEqual(obj.metadata?.labels, old.metadata?.labels),
      },
    );
  return { controller, schedules, cronJobs, campaigns, informers: [schedules, cronJobs, campaigns], events };
}

class FollowUpReconciler {
  private readonly clock: Clock;
  private readonly refreshMs: number;

  constructor(
    private readonly options: FollowUpControllerOptions,
    private readonly schedules: Informer<PlainObject>,
    private readonly cronJobs: Informer<PlainObject>,
    private readonly campaigns: Informer<PlainObject>,
    private readonly events: EventRecorder,
  ) {
    this.clock = options.clock ?? systemClock;
    this.refreshMs = options.statusRefreshMs ?? 600_000;
  }

  async reconcile(key: string): Promise<{ requeueAfterMs: number } | undefined> {
    const object = this.schedules.get(key);
    if (!object || object.metadata?.deletionTimestamp) return undefined; // the garbage collector removes the CronJob
    const parsed = followUpScheduleSchema.safeParse({ ...object, status: undefined });
    if (!parsed.success) {
      throw new TerminalError(
        "FOLLOW_UP_SCHEDULE_INVALID",
        `FollowUpSchedule ${key} cannot be read: ${formatIssues(parsed.error)}`,
      );
    }
    const schedule = parsed.data;
    const { namespace, name } = splitKey(key);
    const uid = schedule.metadata.uid ?? "";
    const now = new Date(this.clock.now());
    const current = (object.status ?? {}) as FollowUpScheduleStatus;
    const jobName = cronJobName(name);
    const log = this.options.logger.child({ schedule: key });

    let problem: ScheduleProblem | undefined;
    let applyError: unknown;
    let foreign = false;
    let cronJob = this.cronJobs.get(`${namespace}/${jobName}`);
    if (!isKnownTimeZone(schedule.spec.timeZone)) {
      problem = {
        reason: Reason.InvalidTimeZone,
        message: `spec.timeZone "${schedule.spec.timeZone}" is not a time zone this controller knows: use an IANA name such as America/Fortaleza`,
        cronJob: true,
      };
    } else {
      cronJob ??= await this.readCronJob(namespace, jobName);
      if (cronJob && !isControlledBy(cronJob, uid)) {
        foreign = true;
        problem = {
          reason: Reason.CronJobFailed,
          message: `A CronJob named ${jobName} already exists and does not belong to this FollowUpSchedule: delete or rename it (or rename the schedule)`,
          cronJob: true,
        };
      } else {
        const intent = desiredCronJob(identityOf(schedule, namespace, name, uid), this.options.config);
        const change = whatChanges(intent, cronJob, current.cronJobName === jobName);
        if (change !== "none") {
          try {
            await applyObject(this.options.kubeConfig, intent, DEFAULT_FIELD_MANAGER, true);
            await this.recordChange(object, change, jobName, schedule);
            log.info({ cronJob: jobName, change }, "Applied the FollowUpSchedule's CronJob");
          } catch (err) {
            applyError = err;
            problem = {
              reason: Reason.CronJobFailed,
              message: `Could not apply CronJob ${jobName}: ${describeApiError(err)}`,
              cronJob: true,
            };
          }
        }
      }
    }

    const cronJobExists =
      !foreign && (cronJob !== undefined || (problem === undefined && applyError === undefined));
    const covered = coveredCampaigns(
      { metadata: { name }, spec: schedule.spec },
      this.campaigns.list(namespace),
    );
    problem ??= metaTemplateProblem(schedule, covered);
    const status = desiredStatus({
      generation: schedule.metadata.generation,
      current,
      now,
      cronJobName: cronJobExists ? jobName : undefined,
      cronJobStatus: foreign
        ? undefined
        : (cronJob?.status as { lastScheduleTime?: string; lastSuccessfulTime?: string }),
      suspended: schedule.spec.suspend,
      problem,
      lastRun: uid ? await latestFinishedRun(this.options.pool, uid) : undefined,
      campaigns: covered.length,
    });
    await this.reportProblem(object, current, status, problem);
    if (!statusEqual(current, status)) {
      await mergePatchStatus(
        this.options.kubeConfig,
        { group: GROUP, version: VERSION, plural: FOLLOW_UP_SCHEDULE_PLURAL, namespace, name },
        { ...status, ...nullsForRemoved(current, status) },
      );
    }
    if (applyError !== undefined) throw applyError;
    return { requeueAfterMs: foreign ? Math.min(30_000, this.refreshMs) : this.refreshMs };
  }

  /** A CronJob of that name outside the informer's cache (not made by us, or stripped of its labels). */
  private async readCronJob(namespace: string, name: string): Promise<PlainObject | undefined> {
    try {
      return (await this.options.kubeConfig
        .makeApiClient(BatchV1Api)
        .readNamespacedCronJob({ name, namespace })) as PlainObject;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async recordChange(
    object: PlainObject,
    change: Change,
    jobName: string,
    schedule: FollowUpSchedule,
  ) {
    const { schedule: cron, timeZone, suspend } = schedule.spec;
    const what = `schedule "${cron}", time zone ${timeZone}${suspend ? ", suspended" : ""}`;
    if (change === "created") {
      await this.events.record(object, {
        type: "Normal",
        reason: "CronJobCreated",
        action: "Create",
        note: `Created CronJob ${jobName} (${what})`,
      });
    } else if (change === "updated") {
      await this.events.record(object, {
        type: "Normal",
        reason: "CronJobUpdated",
        action: "Update",
        note: `Updated CronJob ${jobName} (${what})`,
      });
    } else if (change === "drift") {
      await this.events.record(object, {
        type: "Warning",
        reason: "CronJobDriftCorrected",
        action: "Update",
        note: `CronJob ${jobName} was changed or deleted outside the controller; restored it (${what})`,
      });
    }
  }

  /** A Warning Event when the schedule's Ready reason turns into a problem (not on every reconcile). */
  private async reportProblem(
    object: PlainObject,
    current: FollowUpScheduleStatus,
    next: FollowUpScheduleStatus,
    problem: ScheduleProblem | undefined,
  ): Promise<void> {
    if (!problem) return;
    const before = findCondition(current.conditions as Condition[] | undefined, "Ready");
    const after = findCondition(next.conditions as Condition[] | undefined, "Ready");
    if (before?.reason === after?.reason && before?.message === after?.message) return;
    await this.events.record(object, {
      type: "Warning",
      reason: problem.reason,
      action: "Reconcile",
      note: problem.message,
    });
  }
}
