/**
 * Controller scale: 1,000 Campaigns reconciled by one controller process (the compiled
 * `busca-ativa controller`, as production runs it), on the harness's real API server, Redis and
 * PostgreSQL. Each Campaign has its own 5-patient list in a Secret and sends through the sandbox.
 *
 *   npx tsx bench/controller-scale.ts [--campaigns 1000] [--patients 5] [--rest-seconds 60]
 *     [--controller-workers N] [--controller-node-options=--max-old-space-size=256] [--reuse-build]
 *     [--env FILE] [--result NAME]   (write bench/results/NAME.md instead of controller-scale.md)
 *
 * The controller runs with the chart's heap limits (controller.heap) unless --controller-node-options
 * says otherwise (`--controller-node-options=` for none).
 *
 * Phase 1, controller alone: every Campaign exists before the controller starts; settled means every
 * Campaign has a status with observedGeneration == generation, the workqueue is empty and no status was
 * written for 10 s (with no worker running, every campaign waits at import). Then a rest window.
 * Phase 2, with two worker processes and the sandbox: imports, validation, paced sends (TIME_SCALE 0.1 and
 * `interval: 60s`, so 6 s between a campaign's sends) until every campaign is Completed; status writes
 * per campaign per minute while Sending, counted from the watch (MODIFIED events whose status changed);
 * then a rest window again. Controller memory (RSS) and CPU from /proc.
 *
 * Writes bench/results/controller-scale.md.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import * as k8s from "@kubernetes/client-node";
import { CAMPAIGN_PLURAL, GROUP, VERSION } from "../crds/index.js";
import { installCrds } from "../crds/install.js";
import { Informer } from "../controller/runtime/index.js";
import { createLogger } from "../lib/logger.js";
import { freePort } from "../test/harness/ports.js";
import {
  createMigratedDatabase,
  createNamespace,
  dropDatabase,
  putSecret,
  startBenchEnvironment,
  type BenchEnvironment,
} from "./lib/bench-env.js";
import { buildCli, CliProcess, startSandboxProcess } from "./lib/cli-process.js";
import {
  commandLine,
  loadAverageText,
  machineLine,
  parseArgs,
  round,
  sleep,
  writeResult,
} from "./lib/report.js";

const args = parseArgs();
const CAMPAIGNS = Number(args.get("campaigns") ?? 1000);
const PATIENTS = Number(args.get("patients") ?? 5);
const REST_SECONDS = Number(args.get("rest-seconds") ?? 60);
const QUIET_MS = 10_000;
const INSTANCE = "hospital-bench";
const TIME_SCALE = 0.1;
/** CONTROLLER_WORKERS for the controller process; default the product's default (4). */
const CONTROLLER_WORKERS = args.get("controller-workers");
/**
 * NODE_OPTIONS for the controller process, e.g. "--max-old-space-size=256"; default the chart's heap limits
 * (controller.heap in charts/busca-ativa/values.yaml), as production runs it; an empty value for none.
 */
const CONTROLLER_NODE_OPTIONS = args.get("controller-node-options") ?? chartNodeOptions();

function chartNodeOptions(): string {
  const values = parseYaml(
    readFileSync(new URL("../charts/busca-ativa/values.yaml", import.meta.url), "utf8"),
  ) as { controller: { heap: { maxOldSpaceMiB: number; maxSemiSpaceMiB: number } } };
  const heap = values.controller.heap;
  return `--max-old-space-size=${heap.maxOldSpaceMiB} --max-semi-space-size=${heap.maxSemiSpaceMiB}`;
}

interface Seen {
  generation: number;
  observedGeneration?: number;
  phase?: string;
  status: string;
}

interface CampaignJson {
  metadata: { name: string; generation?: number };
  status?: Record<string, unknown>;
}

interface WriteEvent {
  at: number;
  name: string;
  phaseBefore?: string;
  phaseAfter?: string;
}

/**
 * Every Campaign as the watch last showed it, and every status change it saw: the product's own informer
 * (list, then watch from that resourceVersion; restarts without re-delivering unchanged objects).
 */
class CampaignWatch {
  readonly objects = new Map<string, Seen>();
  readonly statusWrites: WriteEvent[] = [];
  otherModified = 0;
  private readonly informer: Informer<CampaignJson & k8s.KubernetesObject>;

  constructor(kc: k8s.KubeConfig, namespace: string) {
    this.informer = new Informer({
      name: "bench-campaigns",
      kubeConfig: kc,
      path: `/apis/${GROUP}/${VERSION}/namespaces/${namespace}/${CAMPAIGN_PLURAL}`,
      logger: createLogger({ component: "bench", level: "warn" }),
    });
    this.informer.on("add", (obj) => this.apply(obj, undefined));
    this.informer.on("update", (obj, old) => this.apply(obj, old));
    this.informer.on("delete", (obj) => this.objects.delete(obj.metadata.name));
  }

  async start(): Promise<void> {
    this.informer.start();
    await this.informer.waitForSync();
  }

  private apply(obj: CampaignJson, old: CampaignJson | undefined): void {
    const status = JSON.stringify(obj.status ?? null);
    const seen: Seen = {
      generation: obj.metadata.generation ?? 0,
      observedGeneration: obj.status?.observedGeneration as number | undefined,
      phase: obj.status?.phase as string | undefined,
      status,
    };
    if (old && old !== obj) {
      if (JSON.stringify(old.status ?? null) !== status) {
        this.statusWrites.push({
          at: Date.now(),
          name: obj.metadata.name,
          phaseBefore: old.status?.phase as string | undefined,
          phaseAfter: seen.phase,
        });
      } else this.otherModified++;
    }
    this.objects.set(obj.metadata.name, seen);
  }

  stop(): void {
    this.informer.stop();
  }

  countWhere(test: (s: Seen) => boolean): number {
    let n = 0;
    for (const s of this.objects.values()) if (test(s)) n++;
    return n;
  }

  lastWriteAt(): number {
    return this.statusWrites.at(-1)?.at ?? 0;
  }
}

async function main(): Promise<void> {
  buildCli(args.has("reuse-build"));
  const env = await startBenchEnvironment({ envFile: args.get("env") });
  const id = randomBytes(3).toString("hex");
  const namespace = `bench-ctrl-${id}`;
  const dbName = `bench_ctrl_${id}`;
  const databaseUrl = await createMigratedDatabase(env.info.databaseUrl, dbName);
  const prefix = `bench-ctrl-${id}`;
  const sandbox = await startSandboxProcess({
    patients: { enabled: false },
    evolution: { instances: [{ name: INSTANCE }] },
  });
  const config = (await (await fetch(`${sandbox.url}/__control/config`)).json()) as {
    evolution: { apiKey: string };
  };
  const processEnv = {
    DATABASE_URL: databaseUrl,
    REDIS_URL: env.info.redisUrl,
    QUEUE_PREFIX: prefix,
    KUBECONFIG: env.info.kubeconfig,
    LOG_LEVEL: "info",
  };
  let controller: CliProcess | undefined;
  const workers: CliProcess[] = [];
  const watch = new CampaignWatch(env.kc, namespace);
  const lines: string[] = [];
  try {
    await installCrds(env.kc);
    await createNamespace(env.kc, namespace);
    await putSecret(env.kc, namespace, "sandbox-credentials", {
      apiKey: config.evolution.apiKey,
      webhookToken: "bench",
    });
    await watch.start();

    const createStarted = Date.now();
    await createCampaigns(env.kc, namespace, sandbox.url);
    const createSeconds = (Date.now() - createStarted) / 1000;
    console.error(`Created ${CAMPAIGNS} Campaigns (and their list Secrets) in ${round(createSeconds)} s`);
    await waitUntil(() => watch.objects.size >= CAMPAIGNS, 120_000, "the watch to see every Campaign");

    // Phase 1: the controller alone.
    const healthPort = await freePort();
    const cpu0 = await env.cpu();
    const started = Date.now();
    controller = CliProcess.start("controller", ["controller"], {
      ...processEnv,
      HEALTH_PORT: String(healthPort),
      LEADER_ELECTION: "false",
      WATCH_NAMESPACES: namespace,
      TIME_SCALE: String(TIME_SCALE),
      ...(CONTROLLER_WORKERS ? { CONTROLLER_WORKERS } : {}),
      ...(CONTROLLER_NODE_OPTIONS ? { NODE_OPTIONS: CONTROLLER_NODE_OPTIONS } : {}),
    });
    await controller.waitForLine((l) => l.msg === "Controller started", 120_000);
    const processUp = (Date.now() - started) / 1000;
    const allObserved = await waitUntil(
      () => watch.countWhere((s) => s.observedGeneration === s.generation) === CAMPAIGNS,
      600_000,
      "every Campaign to have a status for its generation",
    );
    const settled1 = await waitForQuiet(watch, healthPort, 600_000);
    const cpu1 = await env.cpu();
    const stats1 = await reconcileStats(healthPort);
    const phase1 = {
      processUp,
      allObserved: (allObserved - started) / 1000,
      settled: (settled1.at - started) / 1000,
      depth: settled1.depth,
      reconciles: stats1,
      rssMiB: controller.rssBytes() / 2 ** 20,
      writes: watch.statusWrites.length,
      phases: phaseCounts(watch),
      controllerCpu: controller.cpuSeconds(),
      apiserverCpu: cpu1.apiserver - cpu0.apiserver,
      etcdCpu: cpu1.etcd - cpu0.etcd,
      postgresCpu: cpu1.postgres - cpu0.postgres,
      load: loadAverageText(),
    };
    console.error(`Phase 1: ${JSON.stringify(phase1)}`);
    const rest1 = await restWindow(env, controller, watch, healthPort);
    console.error(`Rest 1: ${JSON.stringify(rest1)}`);

    // Phase 2: workers and the sandbox take the campaigns to the end.
    const writesBefore = watch.statusWrites.length;
    const cpu2 = await env.cpu();
    const controllerCpu2 = controller.cpuSeconds();
    const started2 = Date.now();
    for (let k = 0; k < 2; k++) {
      workers.push(
        CliProcess.start(`worker-${k}`, ["worker", "--groups", "all"], {
          ...processEnv,
          HEALTH_PORT: "0",
          SENDER_CHECK_SECONDS: "2",
          POD_NAME: `bench-ctrl-worker-${k}`,
        }),
      );
    }
    await Promise.all(workers.map((w) => w.waitForLine((l) => l.msg === "Worker started", 120_000)));
    let peakRss = controller.rssBytes();
    const rssSampler = setInterval(() => {
      peakRss = Math.max(peakRss, controller!.rssBytes());
    }, 1000);
    const allCompleted = await waitUntil(
      () => watch.countWhere((s) => s.phase === "Completed") === CAMPAIGNS,
      1_200_000,
      "every Campaign to be Completed",
      () => `phases ${JSON.stringify(phaseCounts(watch))}`,
    );
    const settled2 = await waitForQuiet(watch, healthPort, 300_000);
    clearInterval(rssSampler);
    const cpu3 = await env.cpu();
    const stats2 = await reconcileStats(healthPort);
    const phase2 = {
      allCompleted: (allCompleted - started2) / 1000,
      settled: (settled2.at - started2) / 1000,
      depth: settled2.depth,
      reconciles: { total: stats2.total - stats1.total, errors: stats2.errors - stats1.errors },
      writes: watch.statusWrites.length - writesBefore,
      sending: sendingWrites(watch.statusWrites.slice(writesBefore)),
      controllerCpu: controller.cpuSeconds() - controllerCpu2,
      apiserverCpu: cpu3.apiserver - cpu2.apiserver,
      etcdCpu: cpu3.etcd - cpu2.etcd,
      postgresCpu: cpu3.postgres - cpu2.postgres,
      peakRssMiB: peakRss / 2 ** 20,
      phases: phaseCounts(watch),
      load: loadAverageText(),
    };
    console.error(`Phase 2: ${JSON.stringify(phase2)}`);
    await Promise.all(workers.map((w) => w.stop()));
    const rest2 = await restWindow(env, controller, watch, healthPort);
    console.error(`Rest 2: ${JSON.stringify(rest2)}`);
    const errors = controller.errors.slice(0, 5);

    lines.push(
      "# Controller scale",
      "",
      `Command: \`${commandLine("controller-scale.ts")}\``,
      `Date: ${new Date().toISOString()}`,
      `Machine: ${machineLine()}`,
      "",
      `${CAMPAIGNS} Campaigns in one namespace, each with its own ${PATIENTS}-patient list in a Secret, sending`,
      "through one sandbox instance; one controller process (the compiled `busca-ativa controller`,",
      `CONTROLLER_WORKERS ${CONTROLLER_WORKERS ?? "4 (the default)"}, TIME_SCALE ${TIME_SCALE}, leader election off${CONTROLLER_NODE_OPTIONS ? `, NODE_OPTIONS=${CONTROLLER_NODE_OPTIONS}` : ""}) on the harness's`,
      "kube-apiserver + etcd, Redis and PostgreSQL, all on this machine. Status writes are the watch's MODIFIED",
      'events whose `.status` changed; other MODIFIED events (the finalizer) are counted apart. "Settled":',
      "every Campaign has `status.observedGeneration == metadata.generation` and no status was written for",
      "10 s (the time reported is when the last write happened); the controller's `workqueue_depth` is",
      "reported beside it (a Sending campaign is requeued every 5 s, an Importing or Validating one every 30 s",
      "or when one of its jobs finishes). Targets: settle within 60 s, under 300 MB of memory.",
      "",
      `Creating the ${CAMPAIGNS} Campaigns and their Secrets through the API took ${round(createSeconds)} s (before the controller started).`,
      "",
      "## Phase 1: the controller alone (no worker: every campaign waits at import)",
      "",
      `- Process up ("Controller started"): ${round(phase1.processUp)} s after spawn.`,
      `- Every Campaign has a status for its generation: **${round(phase1.allObserved)} s** after spawn.`,
      `- Settled (last status write before 10 s without any): **${round(phase1.settled)} s** after spawn; ${phase1.writes} status writes (${round(phase1.writes / CAMPAIGNS, 2)} per Campaign), ${watch.otherModified} other MODIFIED events so far. Workqueue depth then: ${phase1.depth}.`,
      `- Reconciles until then: ${phase1.reconciles.total} (${phase1.reconciles.errors} ended in an error and were retried), mean ${round(phase1.reconciles.meanMs, 0)} ms each. Controller RSS: ${round(phase1.rssMiB, 0)} MiB.`,
      `- Phases then: ${JSON.stringify(phase1.phases)}.`,
      `- CPU from spawn to settled: controller ${round(phase1.controllerCpu)} s, kube-apiserver ${round(phase1.apiserverCpu)} s, etcd ${round(phase1.etcdCpu)} s, PostgreSQL ${round(phase1.postgresCpu)} s. Load average: ${phase1.load}.`,
      "",
      ...restLines("At rest after phase 1", rest1),
      "## Phase 2: with two worker processes and the sandbox, until every campaign is Completed",
      "",
      `- Every Campaign Completed: ${round(phase2.allCompleted)} s after the workers started (includes ${PATIENTS - 1} paced gaps of 6 s per campaign).`,
      `- Settled: ${round(phase2.settled)} s after the workers started; ${phase2.writes} status writes (${round(phase2.writes / CAMPAIGNS, 1)} per Campaign in phase 2); ${phase2.reconciles.total} reconciles (${phase2.reconciles.errors} errors). Workqueue depth then: ${phase2.depth}.`,
      `- **While Sending: ${round(phase2.sending.perCampaignPerMinute, 2)} status writes per campaign per minute** (${phase2.sending.writes} writes over ${round(phase2.sending.minutes, 1)} campaign-minutes in phase Sending; the floor is 5 s between writes, i.e. at most 12 per minute).`,
      `- Controller peak RSS: ${round(phase2.peakRssMiB, 0)} MiB. CPU during phase 2: controller ${round(phase2.controllerCpu)} s, kube-apiserver ${round(phase2.apiserverCpu)} s, etcd ${round(phase2.etcdCpu)} s, PostgreSQL ${round(phase2.postgresCpu)} s. Load average: ${phase2.load}.`,
      `- Phases at the end: ${JSON.stringify(phase2.phases)}.`,
      "",
      ...restLines("At rest after phase 2 (workers stopped)", rest2),
      ...(errors.length ? ["Controller errors seen:", "", ...errors.map((e) => `    ${e}`), ""] : []),
    );
    const path = writeResult(args.get("result") ?? "controller-scale", lines);
    console.log(`Wrote ${path}`);
  } finally {
    watch.stop();
    await Promise.all(workers.map((w) => w.stop()));
    await controller?.stop();
    await sandbox.process.stop();
    const custom = env.kc.makeApiClient(k8s.CoreV1Api);
    await custom.deleteNamespace({ name: namespace }).catch(() => undefined);
    await dropDatabase(env.info.databaseUrl, dbName).catch(() => undefined);
    await env.stop();
  }
}

/** Retries API calls the server refuses for now (429 while a CRD's storage initialises, 5xx). */
async function retried<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (err) {
      const code = err instanceof k8s.ApiException ? err.code : 0;
      if (attempt >= 30 || !(code === 429 || code >= 500)) throw err;
      await sleep(1000);
    }
  }
}

async function createCampaigns(kc: k8s.KubeConfig, namespace: string, sandboxUrl: string): Promise<void> {
  const core = kc.makeApiClient(k8s.CoreV1Api);
  const custom = kc.makeApiClient(k8s.CustomObjectsApi);
  let next = 0;
  const one = async (i: number) => {
    const name = `campanha-${String(i).padStart(4, "0")}`;
    const csv = ["nome;telefone;procedimento"];
    for (let p = 0; p < PATIENTS; p++) {
      const n = 80_000_000 + i * PATIENTS + p;
      csv.push(`Paciente ${i}-${p};(85) 9${String(n).slice(0, 4)}-${String(n).slice(4)};CIRURGIA ${p}`);
    }
    await retried(() =>
      core.createNamespacedSecret({
        namespace,
        body: { metadata: { name: `${name}-lista` }, stringData: { "lista.csv": csv.join("\n") } },
      }),
    );
    await retried(() =>
      custom.createNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: CAMPAIGN_PLURAL,
        body: {
          apiVersion: `${GROUP}/${VERSION}`,
          kind: "Campaign",
          metadata: { name },
          spec: {
            audience: { secretKeyRef: { name: `${name}-lista`, key: "lista.csv" } },
            message: {
              template: "Olá, {nome}! Você está na lista para {procedimento}. Ainda tem interesse?",
            },
            sender: {
              provider: "sandbox",
              credentialsSecretRef: { name: "sandbox-credentials" },
              instance: INSTANCE,
              baseUrl: sandboxUrl,
            },
            schedule: {
              window: { start: "00:00", end: "23:59" },
              daysOfWeek: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
              dailyQuota: 50,
              interval: "60s",
              typingWarmup: "0s",
            },
          },
        },
      }),
    );
  };
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < CAMPAIGNS) await one(next++);
    }),
  );
}

/** Polls `test` every 250 ms; resolves with the time it first held. */
async function waitUntil(
  test: () => boolean,
  timeoutMs: number,
  what: string,
  detail?: () => string,
): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let lastReport = Date.now();
  while (!test()) {
    if (Date.now() > deadline)
      throw new Error(`Timed out waiting for ${what}${detail ? `: ${detail()}` : ""}`);
    if (detail && Date.now() - lastReport > 15_000) {
      console.error(`  waiting for ${what}: ${detail()}`);
      lastReport = Date.now();
    }
    await sleep(250);
  }
  return Date.now();
}

async function workqueueDepth(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const match = /^workqueue_depth\{name="campaign"\} (\S+)$/m.exec(text);
  return match ? Number(match[1]) : Number.NaN;
}

/**
 * Waits until no status write for QUIET_MS; resolves with the last write's time and the workqueue depth
 * then (campaigns in a moving phase are requeued every 5 s, so the queue need not be empty).
 */
async function waitForQuiet(
  watch: CampaignWatch,
  healthPort: number,
  timeoutMs: number,
): Promise<{ at: number; depth: number }> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (Date.now() - watch.lastWriteAt() >= QUIET_MS) {
      return { at: watch.lastWriteAt(), depth: await workqueueDepth(healthPort) };
    }
    if (Date.now() > deadline) throw new Error("Timed out waiting for the controller to settle");
    await sleep(500);
  }
}

/** Reconciles so far, their errors, and the mean reconcile time (ms), from the controller's metrics. */
async function reconcileStats(port: number): Promise<{ total: number; errors: number; meanMs: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let total = 0;
  let errors = 0;
  for (const m of text.matchAll(
    /^controller_runtime_reconcile_total\{controller="campaign",result="([^"]+)"\} (\S+)$/gm,
  )) {
    total += Number(m[2]);
    if (m[1] === "error") errors += Number(m[2]);
  }
  const sum = Number(
    /^controller_runtime_reconcile_time_seconds_sum\{controller="campaign"\} (\S+)$/m.exec(text)?.[1],
  );
  const count = Number(
    /^controller_runtime_reconcile_time_seconds_count\{controller="campaign"\} (\S+)$/m.exec(text)?.[1],
  );
  return { total, errors, meanMs: count > 0 ? (1000 * sum) / count : Number.NaN };
}

interface Rest {
  seconds: number;
  statusWrites: number;
  otherModified: number;
  rssMiB: number;
  controllerCpu: number;
  apiserverCpu: number;
  reconciles: number;
  depth: { min: number; max: number };
  memory: { heapUsedMiB: number; heapTotalMiB: number; externalMiB: number };
}

/** The controller's own view of its memory (prom-client's default Node.js metrics). */
async function memoryBreakdown(port: number): Promise<Rest["memory"]> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]) / 2 ** 20;
  return {
    heapUsedMiB: value("nodejs_heap_size_used_bytes"),
    heapTotalMiB: value("nodejs_heap_size_total_bytes"),
    externalMiB: value("nodejs_external_memory_bytes"),
  };
}

/** A window with nothing changing: status writes (expected 0), memory, and what reconciling at rest costs. */
async function restWindow(
  env: BenchEnvironment,
  controller: CliProcess,
  watch: CampaignWatch,
  port: number,
): Promise<Rest> {
  const writes = watch.statusWrites.length;
  const other = watch.otherModified;
  const cpu = controller.cpuSeconds();
  const servers = await env.cpu();
  const reconciles = (await reconcileStats(port)).total;
  let minDepth = Number.POSITIVE_INFINITY;
  let maxDepth = 0;
  const sampler = setInterval(() => {
    void workqueueDepth(port).then((d) => {
      minDepth = Math.min(minDepth, d);
      maxDepth = Math.max(maxDepth, d);
    });
  }, 2000);
  await sleep(REST_SECONDS * 1000);
  clearInterval(sampler);
  const after = await env.cpu();
  return {
    seconds: REST_SECONDS,
    statusWrites: watch.statusWrites.length - writes,
    otherModified: watch.otherModified - other,
    rssMiB: controller.rssBytes() / 2 ** 20,
    controllerCpu: controller.cpuSeconds() - cpu,
    apiserverCpu: after.apiserver - servers.apiserver,
    reconciles: (await reconcileStats(port)).total - reconciles,
    depth: { min: minDepth, max: maxDepth },
    memory: await memoryBreakdown(port),
  };
}

function restLines(title: string, r: Rest): string[] {
  return [
    `### ${title}, ${r.seconds} s`,
    "",
    `- Status writes: **${r.statusWrites}**; other MODIFIED events: ${r.otherModified}.`,
    `- Controller RSS: **${round(r.rssMiB, 0)} MiB** (V8 heap used ${round(r.memory.heapUsedMiB, 0)} MiB of ${round(r.memory.heapTotalMiB, 0)} MiB, external ${round(r.memory.externalMiB, 0)} MiB).`,
    `- Workqueue depth sampled every 2 s: ${r.depth.min} to ${r.depth.max}.`,
    `- Reconciles: ${r.reconciles} (${round(r.reconciles / r.seconds, 1)}/s); controller CPU ${round(r.controllerCpu)} s (${round((100 * r.controllerCpu) / r.seconds, 0)}% of a core); kube-apiserver CPU ${round(r.apiserverCpu)} s.`,
    "",
  ];
}

function phaseCounts(watch: CampaignWatch): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of watch.objects.values()) counts[s.phase ?? "none"] = (counts[s.phase ?? "none"] ?? 0) + 1;
  return counts;
}

/** Status writes per campaign per minute while the campaign was in phase Sending (from the watch's view). */
function sendingWrites(events: WriteEvent[]): {
  writes: number;
  minutes: number;
  perCampaignPerMinute: number;
} {
  const since = new Map<string, number>();
  let writes = 0;
  let ms = 0;
  for (const e of events) {
    const start = since.get(e.name);
    if (start !== undefined) {
      writes++;
      if (e.phaseAfter !== "Sending") {
        ms += e.at - start;
        since.delete(e.name);
      }
    } else if (e.phaseAfter === "Sending") {
      since.set(e.name, e.at);
    }
  }
  return { writes, minutes: ms / 60_000, perCampaignPerMinute: ms > 0 ? writes / (ms / 60_000) : Number.NaN };
}

await main();
