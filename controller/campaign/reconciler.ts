/**
 * The Campaign reconciler: from what the Campaign says and what PostgreSQL and the queues hold, to what to
 * do next. Level-triggered and idempotent: import → validate → send (paced, one slice at a time, as delayed
 * jobs with deterministic ids) → complete; status computed once and written only when it changed (at most
 * every `statusIntervalMs` while the campaign moves); a finalizer withdraws queued work on deletion.
 */
import { CustomObjectsApi, type KubeConfig, type KubernetesObject } from "@kubernetes/client-node";
import type { Pool } from "pg";
import type { Registry } from "prom-client";
import {
  CAMPAIGN_PLURAL,
  DAYS_OF_WEEK,
  GROUP,
  NO_REASON_GIVEN_CODE,
  VERSION,
  durationMs,
  parseCampaign,
  type Campaign,
  type CampaignSpec,
  type CampaignStatus,
} from "../../crds/index.js";
import type { Logger } from "../../lib/logger.js";
import { readCampaignCounts, readDailySends } from "../../lib/db/campaign-counts.js";
import { pickWording, renderTemplate } from "../../lib/messages/render.js";
import { ObjectKeysCache } from "../../lib/kube/object-keys-cache.js";
import type { JobProducer } from "../../lib/queue/producer.js";
import {
  Controller,
  EventRecorder,
  Informer,
  addFinalizer,
  hasFinalizer,
  isConflict,
  mergePatchStatus,
  removeFinalizer,
  statusEqual,
  systemClock,
  type Clock,
} from "../runtime/index.js";
import { currentOccurrence, nextOccurrence } from "../pacing/window.js";
import {
  MIN_INTERVAL_SECONDS,
  effectiveIntervalSeconds,
  planSlots,
  type PacingSpec,
} from "../pacing/slots.js";
import { CampaignJobEvents } from "./job-events.js";
import { CampaignQueues } from "./queue-ops.js";
import { checkPlaceholders, checkReferences, checkSpec, type Finding } from "./rules.js";
import { computeStatus } from "./status.js";
import * as store from "./store.js";

export const CAMPAIGN_FINALIZER = "buscaativa.io/campaign-cleanup";

export interface CampaignControllerOptions {
  kubeConfig: KubeConfig;
  pool: Pool;
  producer: JobProducer;
  logger: Logger;
  registry: Registry;
  /** Who writes Events, e.g. the pod name. */
  instance: string;
  clock?: Clock;
  /** Contacts planned ahead at most (the next slice); default 20. */
  sliceSize?: number;
  /** Least time between two status writes of one campaign; default 5 s. */
  statusIntervalMs?: number;
  /** Whether a FollowUpSchedule covers this campaign (besides spec.followUpScheduleRef). */
  followUpCovers?: (campaign: Campaign) => boolean;
  /** Watch only these namespaces; default all. */
  namespace?: string;
  /**
   * Accelerated time for demos and tests only: pacing intervals and the decline-reason timeout are
   * multiplied by it (0.01: a 5 s interval becomes 50 ms). Default 1; never below 1 in production.
   */
  timeScale?: number;
  workers?: number;
  /**
   * How long the keys of a referenced Secret or ConfigMap (audience, credentials) are trusted before they
   * are read again; default 30,000 ms. A missing object is read again on every reconcile.
   */
  referenceCacheTtlMs?: number;
  /**
   * Where the workers' job events come from (the producer's Redis and prefix): a campaign is reconciled as
   * soon as one of its import or validation jobs finishes. Without it, such a campaign is only polled.
   */
  jobEvents?: { redisUrl: string; prefix: string };
  /** How often a campaign waiting on a worker (Importing, Validating) is reconciled; default 30,000 ms. */
  waitingOnWorkerRequeueMs?: number;
}

/** A Campaign as the API server sends it (plain JSON; the spec is parsed per reconcile). */
export type CampaignObject = KubernetesObject & { spec?: unknown; status?: CampaignStatus };

export interface CampaignController {
  controller: Controller;
  informer: Informer<CampaignObject>;
  /** Stops listening to job events (the controller and informer are stopped by their owner). */
  close(): Promise<void>;
}

export function createCampaignController(options: CampaignControllerOptions): CampaignController {
  const clock = options.clock ?? systemClock;
  const informer = new Informer<CampaignObject>({
    name: "campaigns",
    kubeConfig: options.kubeConfig,
    path: options.namespace
      ? `/apis/${GROUP}/${VERSION}/namespaces/${options.namespace}/${CAMPAIGN_PLURAL}`
      : `/apis/${GROUP}/${VERSION}/${CAMPAIGN_PLURAL}`,
    logger: options.logger,
    registry: options.registry,
  });
  const reconciler = new CampaignReconciler(options, informer, clock);
  const controller = new Controller({
    name: "campaign",
    reconcile: (key) => reconciler.reconcile(key),
    workers: options.workers ?? 4,
    logger: options.logger,
    registry: options.registry,
  }).watch(informer);
  const keyByUid = new Map<string, string>();
  const remember = (obj: CampaignObject) => {
    if (obj.metadata?.uid) keyByUid.set(obj.metadata.uid, `${obj.metadata.namespace}/${obj.metadata.name}`);
  };
  informer.on("add", remember);
  informer.on("update", remember);
  informer.on("delete", (obj) => keyByUid.delete(obj.metadata?.uid ?? ""));
  const jobEvents = options.jobEvents
    ? new CampaignJobEvents({
        ...options.jobEvents,
        logger: options.logger,
        onFinished: (uid) => {
          const key = keyByUid.get(uid);
          if (key) controller.enqueue(key);
        },
      })
    : undefined;
  return { controller, informer, close: async () => jobEvents?.close() };
}

class CampaignReconciler {
  private readonly queues: CampaignQueues;
  private readonly objectKeys: ObjectKeysCache;
  private readonly events: EventRecorder;
  private readonly lastStatusWrite = new Map<string, number>();
  private readonly sliceSize: number;
  private readonly statusIntervalMs: number;
  private readonly waitingOnWorkerRequeueMs: number;

  constructor(
    private readonly options: CampaignControllerOptions,
    private readonly informer: Informer<CampaignObject>,
    private readonly clock: Clock,
  ) {
    this.queues = new CampaignQueues(options.producer);
    this.objectKeys = new ObjectKeysCache({
      kubeConfig: options.kubeConfig,
      ttlMs: options.referenceCacheTtlMs ?? 30_000,
    });
    this.events = new EventRecorder({
      kubeConfig: options.kubeConfig,
      reportingController: "buscaativa.io/controller",
      reportingInstance: options.instance,
      logger: options.logger,
    });
    this.sliceSize = options.sliceSize ?? 20;
    this.statusIntervalMs = options.statusIntervalMs ?? 5_000;
    this.waitingOnWorkerRequeueMs = options.waitingOnWorkerRequeueMs ?? 30_000;
  }

  async reconcile(key: string): Promise<{ requeueAfterMs?: number } | void> {
    const obj = this.informer.get(key);
    if (!obj?.metadata?.uid || !obj.metadata.namespace || !obj.metadata.name) {
      this.lastStatusWrite.delete(key);
      return;
    }
    const ref = {
      group: GROUP,
      version: VERSION,
      plural: CAMPAIGN_PLURAL,
      namespace: obj.metadata.namespace,
      name: obj.metadata.name,
    };
    const uid = obj.metadata.uid;
    const log = this.options.logger.child({ campaign: key });

    if (obj.metadata.deletionTimestamp) {
      if (hasFinalizer(obj, CAMPAIGN_FINALIZER)) {
        await store.cancelCampaign(this.options.pool, uid);
        const removed = await this.queues.removeWaiting(uid);
        await removeFinalizer(this.options.kubeConfig, ref, CAMPAIGN_FINALIZER);
        log.info({ removedJobs: removed }, "Cancelled a deleted campaign and withdrew its queued work");
      }
      return;
    }
    if (!hasFinalizer(obj, CAMPAIGN_FINALIZER))
      await addFinalizer(this.options.kubeConfig, ref, CAMPAIGN_FINALIZER);

    let campaign: Campaign;
    try {
      campaign = parseCampaign(obj);
    } catch (err) {
      log.error({ error: (err as Error).message }, "A Campaign from the API server did not parse");
      return;
    }
    const spec = campaign.spec;
    const namespace = obj.metadata.namespace;
    const generation = obj.metadata.generation ?? 0;
    const now = new Date(this.clock.now());
    const pool = this.options.pool;

    const row = await store.upsertCampaign(pool, {
      uid,
      namespace,
      name: obj.metadata.name,
      generation,
      spec,
    });
    const findings: Finding[] = [...checkSpec(spec)];
    findings.push(
      ...(await checkReferences(
        this.options.kubeConfig,
        namespace,
        spec,
        (name) => this.listExists(namespace, name),
        this.objectKeys,
      )),
    );

    // Import.
    const imported = await store.readImport(pool, uid);
    const audienceBlocked = findings.some((f) => !f.warning && f.condition === "AudienceImported");
    const importFailure = imported.state === "done" ? undefined : await this.queues.importFailure(uid);
    if (imported.state === "none" && !audienceBlocked && !importFailure) await this.queues.addImport(uid);
    if (imported.state === "done") findings.push(...checkPlaceholders(spec, imported.fields));
    const blocking = findings.filter((f) => !f.warning);

    const quotaDay = currentOccurrence(now, windowOf(spec))?.day ?? nextOccurrence(now, windowOf(spec))?.day;
    const counts =
      imported.state === "done" ? await readCampaignCounts(pool, uid, { localDate: quotaDay }) : undefined;

    // Validation.
    let validation: "running" | "done" | "disabled" | "unsupported" = "done";
    if (!spec.validation.enabled) validation = "disabled";
    else if (spec.sender.provider === "meta-cloud") validation = "unsupported";
    if (imported.state === "done" && blocking.length === 0) {
      if (validation === "done") {
        const batches = await store.phonesToValidate(pool, uid, spec.validation.batchSize);
        if (batches.length > 0) {
          validation = "running";
          await this.queues.addValidations(uid, batches);
        }
      } else if ((counts?.contactsByState.pending ?? 0) > 0) {
        await store.markPendingReady(pool, uid);
      }
    } else if (validation === "done") validation = "running";

    // The sender's health, from the workers' connection checks.
    const health = await this.senderHealth(namespace, spec, now);
    let sendBlocked = row.sendBlockedReason;
    if (
      sendBlocked &&
      health.state === "open" &&
      row.sendBlockedAt &&
      health.checkedAt &&
      health.checkedAt.getTime() > row.sendBlockedAt.getTime() + 5 * 60_000
    ) {
      await store.clearSendBlock(pool, uid);
      sendBlocked = null;
      log.info("The sender is connected again; its block is lifted");
    }

    // Sending.
    if (spec.suspend && obj.status?.pauseReason !== "Suspended") {
      const removed = await this.queues.removeWaiting(uid, ["send"]);
      log.info({ removedJobs: removed }, "Suspended: withdrew waiting sends");
    }
    const scale = this.options.timeScale ?? 1;
    await store.closeTimedOutReasons(
      pool,
      uid,
      durationMs(spec.replies.declineReason.timeout) * scale,
      NO_REASON_GIVEN_CODE,
    );
    let facts = await store.readSendingFacts(pool, uid);
    const usedToday = quotaDay ? await readDailySends(pool, uid, quotaDay) : 0;
    const pacing = pacingOf(spec, scale);
    const canSend =
      blocking.length === 0 &&
      imported.state === "done" &&
      !spec.suspend &&
      !sendBlocked &&
      health.state === "open" &&
      row.state === "active";
    const plan = planSlots(
      pacing,
      {
        now,
        firstStartedAt: row.firstStartedAt ?? undefined,
        lastSlotAt: facts.lastSlotAt ?? undefined,
        usedToday,
        quotaDay,
        seed: uid,
        slotIndex: facts.plannedContacts,
      },
      Math.max(0, this.sliceSize - facts.plannedUnsent),
    );
    if (canSend && plan.slots.length > 0 && facts.plannedUnsent < Math.ceil(this.sliceSize / 2)) {
      const contacts = await store.nextContactsToStart(pool, uid, plan.slots.length);
      const messages = contacts.map((contact, i) => ({
        contact,
        at: plan.slots[i]!.at,
        quotaDay: plan.slots[i]!.quotaDay,
        ...firstMessageOf(spec, contact),
      }));
      const created = await store.planFirstMessages(
        pool,
        uid,
        messages,
        validation === "done" || validation === "running",
      );
      await this.queues.addSends(
        uid,
        created.map((c) => ({
          outboxId: c.outboxId,
          attempts: 0,
          dueInMs: Math.max(0, c.at.getTime() - now.getTime()),
        })),
      );
      if (created.length > 0) facts = await store.readSendingFacts(pool, uid);
    }
    // Work PostgreSQL says is due but no queue holds (Redis lost, a crash between commit and enqueue).
    if (row.state !== "cancelled") {
      const overdue = await store.overduePendingRows(pool, uid, 15_000);
      if (overdue.length > 0) {
        const readded = await this.queues.addSends(
          uid,
          overdue.map((r) => ({ ...r, dueInMs: 0 })),
        );
        if (readded > 0) log.warn({ readded }, "Re-created send jobs that the queue had lost");
      }
    }

    // Completion.
    const freshCounts = counts ? await readCampaignCounts(pool, uid, { localDate: quotaDay }) : undefined;
    const byState = freshCounts?.contactsByState;
    const allFirstMessagesDone =
      !!byState && byState.pending + byState.ready === 0 && facts.plannedUnsent === 0;
    const open = byState ? byState.pending + byState.ready + byState.sent + byState.awaiting_reason : 1;
    const coveredByFollowUp =
      !!spec.followUpScheduleRef || (this.options.followUpCovers?.(campaign) ?? false);
    let completed: { reason: string; at: Date } | null = row.completedAt
      ? {
          reason: obj.status?.conditions?.find((c) => c.type === "Completed")?.reason ?? "AllContactsDone",
          at: row.completedAt,
        }
      : null;
    if (
      !completed &&
      imported.state === "done" &&
      (freshCounts?.contacts ?? 0) > 0 &&
      row.state === "active"
    ) {
      const reason =
        plan.pauseReason === "DurationReached"
          ? "DurationReached"
          : open === 0
            ? "AllContactsDone"
            : !coveredByFollowUp && allFirstMessagesDone
              ? "AllMessagesSent"
              : undefined;
      if (reason) {
        await store.markCompleted(pool, uid);
        completed = { reason, at: now };
      }
    }

    const observe = (previous: CampaignStatus | undefined) =>
      computeStatus({
        generation,
        previous,
        now,
        deleting: false,
        findings,
        importState: imported.state,
        importFailure,
        counts: freshCounts,
        validation,
        provider: { state: health.state, detail: health.detail },
        sendBlocked,
        suspended: spec.suspend,
        pacingPause: canSend && plan.slots.length === 0 ? plan.pauseReason : undefined,
        plannedUnsent: facts.plannedUnsent,
        nextSendAt: facts.nextSendAt,
        allFirstMessagesDone,
        completed,
        startTime: row.firstStartedAt,
        quotaDay,
        sentToday: usedToday,
      });
    const status = observe(obj.status);
    const delay = await this.writeStatus(key, ref, obj, observe, findings);
    if (completed) return { requeueAfterMs: delay > 0 ? delay : 60_000 };
    // Come back for the next slice, for the next status write, or to refresh the counts, whichever is first.
    // A campaign waiting on a worker (import, validation) is woken by its jobs' events and only polled
    // now and then: 1,000 of them polled every 5 s kept the work queue from ever draining.
    const poll =
      status.phase === "Sending"
        ? 5_000
        : status.phase === "Importing" || status.phase === "Validating"
          ? this.waitingOnWorkerRequeueMs
          : 15_000;
    const wake = plan.wakeAt ? Math.max(100, plan.wakeAt.getTime() - now.getTime()) : Infinity;
    return { requeueAfterMs: Math.min(wake, poll, delay > 0 ? delay : Infinity) };
  }

  /** Writes the status when it changed, at most every statusIntervalMs; returns ms to wait before the next try. */
  /**
   * Writes the status when it changed, at most every statusIntervalMs; returns ms to wait before the next
   * try. The write is guarded by the object's resourceVersion; when the cache is behind (our own last write
   * has not come back through the watch yet), the object is read fresh and the status recomputed over it.
   */
  private async writeStatus(
    key: string,
    ref: { group: string; version: string; plural: string; namespace: string; name: string },
    cached: CampaignObject,
    observe: (previous: CampaignStatus | undefined) => CampaignStatus,
    findings: readonly Finding[],
  ): Promise<number> {
    if (statusEqual(observe(cached.status), cached.status)) return 0;
    const last = this.lastStatusWrite.get(key) ?? 0;
    const wait = last + this.statusIntervalMs - this.clock.now();
    if (wait > 0) return wait;
    let obj = cached;
    for (let attempt = 0; ; attempt++) {
      const status = observe(obj.status);
      if (statusEqual(status, obj.status)) return 0;
      // A merge patch only sets what it names: a field the new status no longer has is removed with null.
      const patch: Record<string, unknown> = { ...status };
      for (const field of Object.keys(obj.status ?? {})) if (!(field in status)) patch[field] = null;
      try {
        await mergePatchStatus(this.options.kubeConfig, ref, patch, {
          resourceVersion: obj.metadata?.resourceVersion,
        });
      } catch (err) {
        if (!isConflict(err) || attempt >= 3) throw err;
        obj = (await this.options.kubeConfig
          .makeApiClient(CustomObjectsApi)
          .getNamespacedCustomObject(ref)) as CampaignObject;
        continue;
      }
      this.lastStatusWrite.set(key, this.clock.now());
      await this.recordTransition(obj, obj.status, status, findings);
      return 0;
    }
  }

  private async recordTransition(
    obj: CampaignObject,
    before: CampaignStatus | undefined,
    after: CampaignStatus,
    findings: readonly Finding[],
  ): Promise<void> {
    const record = (type: "Normal" | "Warning", reason: string, action: string, note: string) =>
      this.events.record(obj, { type, reason, action, note }).catch((err: unknown) => {
        this.options.logger.warn({ error: (err as Error).message }, "Could not record an Event");
      });
    const newFindings = findings.filter(
      (f) => !before?.conditions?.some((c) => c.reason === f.reason && c.status === "False"),
    );
    for (const f of newFindings) await record("Warning", f.reason, "Validate", f.message);
    if (before?.phase === after.phase && before?.pauseReason === after.pauseReason) return;
    const note = after.message ?? "";
    switch (after.phase) {
      case "Sending":
        await record("Normal", before?.phase === "Paused" ? "Resumed" : "Started", "Send", note);
        break;
      case "Paused":
        await record(
          after.pauseReason === "ProviderUnavailable" ? "Warning" : "Normal",
          `Paused${after.pauseReason ?? ""}`,
          "Pause",
          note,
        );
        break;
      case "Completed":
        await record("Normal", "Completed", "Complete", note);
        break;
      case "Failed":
        await record("Warning", "Failed", "Reconcile", note);
        break;
      case "Importing":
        await record("Normal", "ImportStarted", "Import", note);
        break;
      default:
        break;
    }
  }

  private async listExists(namespace: string, name: string): Promise<boolean> {
    const { rows } = await this.options.pool.query(
      "SELECT 1 FROM patient_lists WHERE namespace = $1 AND name = $2",
      [namespace, name],
    );
    return rows.length > 0;
  }

  private async senderHealth(
    namespace: string,
    spec: CampaignSpec,
    now: Date,
  ): Promise<{
    state: "open" | "connecting" | "close" | "error" | "unknown";
    detail: string | null;
    checkedAt: Date | null;
  }> {
    const channel = spec.sender.provider === "meta-cloud" ? spec.sender.phoneNumberId : spec.sender.instance;
    const { rows } = await this.options.pool.query<{
      state: "open" | "connecting" | "close" | "error";
      detail: string | null;
      checked_at: Date;
    }>(
      "SELECT state, detail, checked_at FROM sender_health WHERE provider = $1 AND namespace = $2 AND channel = $3",
      [spec.sender.provider, namespace, channel],
    );
    const row = rows[0];
    // A check older than 3 minutes says nothing about now (no outbound worker is running).
    if (!row || now.getTime() - row.checked_at.getTime() > 3 * 60_000)
      return { state: "unknown", detail: null, checkedAt: null };
    return { state: row.state, detail: row.detail, checkedAt: row.checked_at };
  }
}

function windowOf(spec: CampaignSpec) {
  const w = spec.schedule.window;
  return {
    timeZone: spec.schedule.timeZone,
    start: w.start,
    end: w.end,
    // ISO weekday numbers: Mon = 1 ... Sun = 7.
    daysOfWeek: spec.schedule.daysOfWeek.map((d) => DAYS_OF_WEEK.indexOf(d) + 1),
  };
}

function pacingOf(spec: CampaignSpec, timeScale: number): PacingSpec {
  const s = spec.schedule;
  const base = {
    window: windowOf(spec),
    dailyQuota: s.dailyQuota,
    ...(s.interval ? { intervalSeconds: durationMs(s.interval) / 1000 } : {}),
  };
  return {
    ...base,
    intervalSeconds: effectiveIntervalSeconds(base) * timeScale,
    minIntervalSeconds: MIN_INTERVAL_SECONDS * timeScale,
    jitterPercent: s.jitterPercent,
    ...(s.startTime ? { startTime: new Date(s.startTime) } : {}),
    durationDays: s.durationDays,
  };
}

/** The first message for a contact: the rotated wording filled in, and the Meta template when Meta sends it. */
function firstMessageOf(
  spec: CampaignSpec,
  contact: store.ContactForMessage,
): { body: string; template: unknown } {
  const values = { name: contact.name, procedure: contact.procedure, fields: contact.fields };
  const body = renderTemplate(
    pickWording(spec.message.template, spec.message.variants, contact.position),
    values,
  );
  const meta = spec.message.metaTemplate;
  const template =
    spec.sender.provider === "meta-cloud" && meta
      ? {
          name: meta.name,
          language: meta.language,
          bodyParams: meta.bodyParameters.map((p) => renderTemplate(p, values)),
        }
      : null;
  return { body, template };
}
