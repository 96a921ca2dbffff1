/**
 * The FollowUpSchedule reconciler against the real control plane (kube-apiserver and
 * kube-controller-manager, whose garbage collector deletes owned objects) and PostgreSQL.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import {
  BatchV1Api,
  EventsV1Api,
  PatchStrategy,
  setHeaderOptions,
  CustomObjectsApi,
  type V1CronJob,
} from "@kubernetes/client-node";
import { Registry } from "prom-client";
import { installCrds } from "../../crds/install.js";
import { FOLLOW_UP_SCHEDULE_PLURAL, GROUP, VERSION, type FollowUpScheduleStatus } from "../../crds/index.js";
import { createPool } from "../../lib/db/pool.js";
import { createLogger } from "../../lib/logger.js";
import { adminKubeConfig, freshNamespace } from "../../test/harness/fixtures.js";
import { waitFor } from "../../test/harness/wait.js";
import { freshMigratedDatabase } from "../../test/db.js";
import {
  createCustomObject,
  minimalCampaign,
  minimalFollowUpSchedule,
  withValues,
} from "../../test/api/objects.js";
import { Informer, isNotFound, mergePatch } from "../runtime/index.js";
import { metricValue } from "../runtime/testing/metrics.js";
import { createFollowUpController, type PlainObject } from "./reconciler.js";
import type { FollowUpControllerConfig } from "./cronjob.js";

const logger = createLogger({
  component: "followup-controller-test",
  level: process.env.TEST_LOG_LEVEL ?? "silent",
});
const config: FollowUpControllerConfig = {
  image: "registry.example/busca-ativa:1.2.3",
  serviceAccountName: "busca-ativa-followup",
  envSecretName: "busca-ativa-followup-env",
  queuePrefix: "busca-ativa",
  logLevel: "info",
};
const stops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (stops.length > 0) await stops.pop()?.();
});

beforeAll(async () => {
  await installCrds(adminKubeConfig());
});

async function setup(options: { statusRefreshMs?: number } = {}) {
  const kc = adminKubeConfig();
  const ns = (await freshNamespace("fus")).value;
  const db = await freshMigratedDatabase();
  const pool = createPool({ connectionString: db.value, max: 2 });
  const registry = new Registry();
  const built = createFollowUpController({
    kubeConfig: kc,
    pool,
    config,
    logger,
    registry,
    namespace: ns,
    instance: "test",
    ...(options.statusRefreshMs ? { statusRefreshMs: options.statusRefreshMs } : {}),
  });
  for (const informer of built.informers) informer.start();
  await built.controller.start();
  stops.push(
    () => pool.end(),
    ...built.informers.map((i) => () => i.stop()),
    () => built.events.stop(),
    () => built.controller.stop(),
  );
  const batch = kc.makeApiClient(BatchV1Api);
  const custom = kc.makeApiClient(CustomObjectsApi);
  const ref = (name: string) => ({
    group: GROUP,
    version: VERSION,
    plural: FOLLOW_UP_SCHEDULE_PLURAL,
    namespace: ns,
    name,
  });
  const readCronJob = (name: string) =>
    batch.readNamespacedCronJob({ name, namespace: ns }).catch((err: unknown) => {
      if (isNotFound(err)) return undefined;
      throw err;
    });
  const readSchedule = async (name: string) =>
    (await custom.getNamespacedCustomObject(ref(name))) as PlainObject & { status?: FollowUpScheduleStatus };
  const condition = async (name: string, type: string) =>
    (await readSchedule(name)).status?.conditions?.find((c) => c.type === type);
  const events = async (name: string) =>
    (await kc.makeApiClient(EventsV1Api).listNamespacedEvent({ namespace: ns })).items.filter(
      (e) => e.regarding?.name === name && e.regarding.kind === "FollowUpSchedule",
    );
  const createSchedule = (name: string, spec: Record<string, unknown> = {}) =>
    createCustomObject(kc, ns, { ...minimalFollowUpSchedule(name), spec });
  return {
    kc,
    ns,
    pool,
    registry,
    built,
    batch,
    custom,
    ref,
    readCronJob,
    readSchedule,
    condition,
    events,
    createSchedule,
  };
}

describe("FollowUpSchedule reconciler", () => {
  it("creates the CronJob with every field, owned by the schedule, and shows it in the status", async () => {
    const { ns, readCronJob, readSchedule, createSchedule, events } = await setup();
    const created = await createSchedule("lembretes", {
      schedule: "30 8 * * 1-5",
      timeZone: "America/Recife",
    });
    const uid = created.metadata.uid as string;

    const cronJob = (await waitFor(() => readCronJob("lembretes"), {
      timeoutMs: 20_000,
      what: "the CronJob",
    })) as V1CronJob;
    const spec = cronJob.spec!;
    expect(spec).toMatchObject({
      schedule: "30 8 * * 1-5",
      timeZone: "America/Recife",
      suspend: false,
      concurrencyPolicy: "Forbid",
      startingDeadlineSeconds: 300,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 3,
    });
    expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 1800 });
    const pod = spec.jobTemplate.spec!.template.spec!;
    expect(pod).toMatchObject({
      serviceAccountName: "busca-ativa-followup",
      restartPolicy: "Never",
      securityContext: {
        runAsNonRoot: true,
        runAsUser: 10001,
        runAsGroup: 10001,
        seccompProfile: { type: "RuntimeDefault" },
      },
    });
    expect(pod.containers).toHaveLength(1);
    const container = pod.containers[0]!;
    expect(container).toMatchObject({
      image: "registry.example/busca-ativa:1.2.3",
      args: ["followup", "run", "--schedule", `${ns}/lembretes`],
      envFrom: [{ secretRef: { name: "busca-ativa-followup-env" } }],
      env: [
        { name: "QUEUE_PREFIX", value: "busca-ativa" },
        { name: "LOG_LEVEL", value: "info" },
      ],
      securityContext: {
        runAsNonRoot: true,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        privileged: false,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
      },
    });
    expect(container.command).toBeUndefined();
    const labels = {
      "app.kubernetes.io/managed-by": "busca-ativa",
      "buscaativa.io/followupschedule": "lembretes",
    };
    expect(cronJob.metadata?.labels).toMatchObject(labels);
    expect(spec.jobTemplate.metadata?.labels).toMatchObject(labels);
    expect(spec.jobTemplate.spec!.template.metadata?.labels).toMatchObject(labels);
    expect(cronJob.metadata?.ownerReferences).toEqual([
      {
        apiVersion: `${GROUP}/${VERSION}`,
        kind: "FollowUpSchedule",
        name: "lembretes",
        uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);

    const status = await waitFor(
      async () => {
        const s = (await readSchedule("lembretes")).status;
        return s?.cronJobName === "lembretes" ? s : undefined;
      },
      { timeoutMs: 20_000, what: "the status" },
    );
    expect(status.observedGeneration).toBe(1);
    const byType = Object.fromEntries((status.conditions ?? []).map((c) => [c.type, [c.status, c.reason]]));
    expect(byType).toEqual({
      CronJobReady: ["True", "CronJobInSync"],
      LastRunSucceeded: ["Unknown", "NotRunYet"],
      Ready: ["True", "NoCampaigns"],
    });
    const reasons = await waitFor(
      async () => {
        const found = (await events("lembretes")).map((e) => e.reason);
        return found.includes("CronJobCreated") ? found : undefined;
      },
      { timeoutMs: 10_000, what: "the CronJobCreated Event" },
    );
    expect(reasons).not.toContain("CronJobDriftCorrected");
  });

  it("makes the CronJob follow edits of the schedule, time zone and suspend", async () => {
    const { kc, ref, readCronJob, createSchedule, condition } = await setup();
    await createSchedule("lembretes");
    await waitFor(() => readCronJob("lembretes"), { timeoutMs: 20_000, what: "the CronJob" });

    await mergePatch(kc, ref("lembretes"), {
      spec: { schedule: "15 10 * * *", timeZone: "America/Manaus", suspend: true },
    });

    const updated = await waitFor(
      async () => {
        const c = await readCronJob("lembretes");
        return c?.spec?.schedule === "15 10 * * *" ? c : undefined;
      },
      { timeoutMs: 20_000, what: "the updated CronJob" },
    );
    expect(updated.spec).toMatchObject({ timeZone: "America/Manaus", suspend: true });
    await waitFor(async () => (await condition("lembretes", "Ready"))?.reason === "Suspended", {
      timeoutMs: 20_000,
      what: "Ready=False Suspended",
    });
    expect(await condition("lembretes", "Ready")).toMatchObject({ status: "False", observedGeneration: 2 });

    await mergePatch(kc, ref("lembretes"), { spec: { suspend: false } });
    await waitFor(async () => (await readCronJob("lembretes"))?.spec?.suspend === false, {
      timeoutMs: 20_000,
      what: "the CronJob resumed",
    });
  });

  it("puts back a CronJob someone changed or deleted", async () => {
    const { ns, batch, readCronJob, createSchedule, events } = await setup();
    await createSchedule("lembretes");
    const original = await waitFor(() => readCronJob("lembretes"), {
      timeoutMs: 20_000,
      what: "the CronJob",
    });

    // As `kubectl patch cronjob lembretes --type merge`.
    await batch.patchNamespacedCronJob(
      {
        name: "lembretes",
        namespace: ns,
        body: {
          spec: { schedule: "*/1 * * * *", suspend: true, jobTemplate: { spec: { backoffLimit: 9 } } },
        },
        fieldManager: "kubectl-patch",
      },
      setHeaderOptions("Content-Type", PatchStrategy.MergePatch),
    );
    const restored = await waitFor(
      async () => {
        const c = await readCronJob("lembretes");
        return c?.spec?.schedule === "0 9 * * *" &&
          c.spec.suspend === false &&
          c.spec.jobTemplate.spec?.backoffLimit === 2
          ? c
          : undefined;
      },
      { timeoutMs: 20_000, what: "the CronJob restored" },
    );
    expect(restored.metadata?.uid).toBe(original.metadata?.uid);

    await batch.deleteNamespacedCronJob({ name: "lembretes", namespace: ns });
    const recreated = await waitFor(
      async () => {
        const c = await readCronJob("lembretes");
        return c && c.metadata?.uid !== original.metadata?.uid ? c : undefined;
      },
      { timeoutMs: 20_000, what: "the CronJob re-created" },
    );
    expect(recreated.spec?.schedule).toBe("0 9 * * *");
    await waitFor(
      async () => (await events("lembretes")).filter((e) => e.reason === "CronJobDriftCorrected").length > 0,
      { timeoutMs: 10_000, what: "a CronJobDriftCorrected Event" },
    );
  });

  it("shows the last run's counts from PostgreSQL once the schedule is reconciled again", async () => {
    const { kc, pool, ref, readSchedule, createSchedule, condition } = await setup();
    const created = await createSchedule("lembretes");
    const uid = created.metadata.uid as string;
    await waitFor(async () => (await readSchedule("lembretes")).status?.cronJobName, {
      timeoutMs: 20_000,
      what: "the status",
    });

    await pool.query(
      `INSERT INTO follow_up_runs (schedule_uid, namespace, name, started_at, finished_at, due, queued, released, skipped)
       VALUES ($1, 'x', 'lembretes', '2026-03-04T12:00:00Z', '2026-03-04T12:00:05Z', 10, 8, 3, 2),
              ($1, 'x', 'lembretes', '2026-03-05T12:00:00Z', '2026-03-05T12:00:07Z', 12, 9, 4, 3),
              ($1, 'x', 'lembretes', '2026-03-06T12:00:00Z', NULL, 0, 0, 0, 0)`,
      [uid],
    );
    await mergePatch(kc, ref("lembretes"), { metadata: { annotations: { "test/touch": "1" } } });

    const lastRun = await waitFor(async () => (await readSchedule("lembretes")).status?.lastRun, {
      timeoutMs: 20_000,
      what: "status.lastRun",
    });
    expect(lastRun).toEqual({
      startTime: "2026-03-05T12:00:00Z",
      completionTime: "2026-03-05T12:00:07Z",
      due: 12,
      queued: 9,
      released: 4,
      skipped: 3,
    });
    expect(await condition("lembretes", "LastRunSucceeded")).toMatchObject({
      status: "True",
      reason: "RunSucceeded",
    });

    await pool.query(
      `INSERT INTO follow_up_runs (schedule_uid, namespace, name, started_at, finished_at, error)
       VALUES ($1, 'x', 'lembretes', '2026-03-07T12:00:00Z', '2026-03-07T12:00:01Z', 'Redis is unreachable')`,
      [uid],
    );
    await mergePatch(kc, ref("lembretes"), { metadata: { annotations: { "test/touch": "2" } } });
    await waitFor(async () => (await condition("lembretes", "LastRunSucceeded"))?.reason === "RunFailed", {
      timeoutMs: 20_000,
      what: "LastRunSucceeded=False RunFailed",
    });
    expect(await condition("lembretes", "LastRunSucceeded")).toMatchObject({
      status: "False",
      message: "Redis is unreachable",
    });
  });

  it("picks up a new run by itself on the periodic requeue", async () => {
    const { pool, readSchedule, createSchedule } = await setup({ statusRefreshMs: 500 });
    const created = await createSchedule("lembretes");
    await waitFor(async () => (await readSchedule("lembretes")).status?.cronJobName, {
      timeoutMs: 20_000,
      what: "the status",
    });
    await pool.query(
      `INSERT INTO follow_up_runs (schedule_uid, namespace, name, started_at, finished_at, due, queued, released, skipped)
       VALUES ($1, 'x', 'lembretes', now(), now(), 5, 5, 1, 0)`,
      [created.metadata.uid as string],
    );
    const lastRun = await waitFor(async () => (await readSchedule("lembretes")).status?.lastRun, {
      timeoutMs: 20_000,
      what: "status.lastRun",
    });
    expect(lastRun).toMatchObject({ due: 5, queued: 5, released: 1, skipped: 0 });
  });

  it("writes no status at rest, however often it reconciles", async () => {
    const { kc, ns, registry, readSchedule, createSchedule } = await setup({ statusRefreshMs: 300 });
    await createSchedule("lembretes");
    await waitFor(async () => (await readSchedule("lembretes")).status?.cronJobName, {
      timeoutMs: 20_000,
      what: "the status",
    });

    const watcher = new Informer<PlainObject>({
      name: "watch-schedules",
      kubeConfig: kc,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${FOLLOW_UP_SCHEDULE_PLURAL}`,
      logger,
      resyncPeriodMs: 0,
    });
    let modified = 0;
    watcher.on("update", () => {
      modified += 1;
    });
    watcher.start();
    stops.push(() => watcher.stop());
    await watcher.waitForSync();
    const rv = (await readSchedule("lembretes")).metadata?.resourceVersion;
    const reconciles = () =>
      metricValue(registry, "controller_runtime_reconcile_total", {
        controller: "followupschedule",
        result: "requeue_after",
      });
    const before = await reconciles();
    await waitFor(async () => (await reconciles()) >= before + 10, {
      timeoutMs: 20_000,
      what: "ten more reconciles",
    });

    expect(modified).toBe(0);
    expect((await readSchedule("lembretes")).metadata?.resourceVersion).toBe(rv);
  });

  it("lets the garbage collector delete the CronJob with its schedule", async () => {
    const { ns, custom, ref, readCronJob, createSchedule } = await setup();
    await createSchedule("lembretes");
    await waitFor(() => readCronJob("lembretes"), { timeoutMs: 20_000, what: "the CronJob" });
    await custom.deleteNamespacedCustomObject({ ...ref("lembretes"), propagationPolicy: "Background" });
    await waitFor(async () => (await readCronJob("lembretes")) === undefined, {
      timeoutMs: 60_000,
      what: `the garbage collector deleting CronJob ${ns}/lembretes`,
    });
  });

  it("creates no CronJob for an unknown time zone and says why", async () => {
    const { readCronJob, createSchedule, condition, events } = await setup();
    await createSchedule("lembretes", { timeZone: "America/Atlantis" });
    const ready = await waitFor(
      async () => {
        const c = await condition("lembretes", "Ready");
        return c?.reason === "InvalidTimeZone" ? c : undefined;
      },
      { timeoutMs: 20_000, what: "Ready=False InvalidTimeZone" },
    );
    expect(ready.status).toBe("False");
    expect(ready.message).toContain("America/Atlantis");
    expect(await readCronJob("lembretes")).toBeUndefined();
    await waitFor(async () => (await events("lembretes")).some((e) => e.reason === "InvalidTimeZone"), {
      timeoutMs: 10_000,
      what: "the InvalidTimeZone Event",
    });
  });

  it("never takes over a CronJob of the same name that it does not own", async () => {
    const { ns, batch, readCronJob, createSchedule, condition } = await setup();
    await batch.createNamespacedCronJob({
      namespace: ns,
      body: {
        metadata: { name: "lembretes" },
        spec: {
          schedule: "0 3 * * *",
          jobTemplate: {
            spec: {
              template: { spec: { restartPolicy: "Never", containers: [{ name: "x", image: "busybox" }] } },
            },
          },
        },
      },
    });
    await createSchedule("lembretes");
    const ready = await waitFor(
      async () => {
        const c = await condition("lembretes", "Ready");
        return c?.reason === "CronJobFailed" ? c : undefined;
      },
      { timeoutMs: 20_000, what: "Ready=False CronJobFailed" },
    );
    expect(ready.message).toContain("does not belong to this FollowUpSchedule");
    const foreign = await readCronJob("lembretes");
    expect(foreign?.spec?.schedule).toBe("0 3 * * *");
    expect(foreign?.metadata?.ownerReferences).toBeUndefined();
  });

  it("reports whether it covers campaigns, and meta-cloud campaigns without step templates", async () => {
    const { kc, ns, createSchedule, condition } = await setup();
    await createSchedule("lembretes", { campaigns: { selector: { matchLabels: { fila: "cirurgica" } } } });
    await waitFor(async () => (await condition("lembretes", "Ready"))?.reason === "NoCampaigns", {
      timeoutMs: 20_000,
      what: "Ready NoCampaigns",
    });
    await createCustomObject(
      kc,
      ns,
      withValues(minimalCampaign("sandbox"), { "metadata.labels": { fila: "cirurgica" } }),
    );
    const ready = await waitFor(
      async () => {
        const c = await condition("lembretes", "Ready");
        return c?.reason === "Ready" ? c : undefined;
      },
      { timeoutMs: 20_000, what: "Ready once a campaign is covered" },
    );
    expect(ready.message).toContain("1 campaign");

    const meta = withValues(minimalCampaign("meta"), {
      "metadata.labels": { fila: "cirurgica" },
      "spec.sender": {
        provider: "meta-cloud",
        credentialsSecretRef: { name: "meta" },
        phoneNumberId: "1234567890",
      },
      "spec.message.metaTemplate": { name: "busca_ativa", bodyParameters: ["{nome}"] },
    });
    await createCustomObject(kc, ns, meta);
    const invalid = await waitFor(
      async () => {
        const c = await condition("lembretes", "Ready");
        return c?.reason === "InvalidSpec" ? c : undefined;
      },
      { timeoutMs: 20_000, what: "Ready=False InvalidSpec" },
    );
    expect(invalid.message).toContain("meta");
    expect(await condition("lembretes", "CronJobReady")).toMatchObject({ status: "True" });
  });
});
