/**
 * The main job: a real campaign end to end on a local stack. Starts a Kubernetes control plane, Redis and
 * PostgreSQL (test/harness), the product's processes and the sandbox WhatsApp server; applies a Campaign
 * for a synthetic list and a FollowUpSchedule with accelerated time; drives the campaign to the end (the
 * sandbox answers as patients); prints progress, `kubectl get campaigns,followupschedules` and a summary;
 * and checks that every patient is accounted for exactly once.
 *
 * There is no kubelet in the local control plane, so the FollowUpSchedule's CronJob is created but never
 * runs: the demo runs `followup run` itself every few seconds, as the CronJob would (on its accelerated clock).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import * as k8s from "@kubernetes/client-node";
import pg from "pg";
import { installCrds } from "../../crds/install.js";
import {
  CAMPAIGN_PLURAL,
  FOLLOW_UP_SCHEDULE_PLURAL,
  GROUP,
  VERSION,
  type CampaignStatus,
} from "../../crds/index.js";
import { createLogger } from "../../lib/logger.js";
import { runMigrations } from "../../lib/db/migrate.js";
import { JobProducer } from "../../lib/queue/producer.js";
import { runFollowUp } from "../../worker/followup/run.js";
import { TestEnvironment } from "../../test/harness/environment.js";
import { REPO_ROOT, TOOLS_BIN } from "../../test/harness/tools.js";
import { waitFor } from "../../test/harness/wait.js";
import { SANDBOX_INSTANCE, SANDBOX_WEBHOOK_TOKEN, startComponents } from "./components.js";
import { syntheticPatientList } from "./synthetic-list.js";

export interface DemoOptions {
  patients: number;
  /** Pacing and follow-up time multiplier; 0.005: a 5 s interval is 25 ms, a 1 h reminder 18 s. */
  timeScale: number;
  /** Give up after this long. */
  timeoutMs: number;
  /** Print progress lines. */
  progress: boolean;
  write: (line: string) => void;
}

export interface DemoResult {
  ok: boolean;
  problems: string[];
  status: CampaignStatus | undefined;
  seconds: number;
}

const NAMESPACE = "busca-ativa-demo";
const CAMPAIGN = "fila-cirurgica-demo";
const SCHEDULE = "lembretes-demo";

export async function runDemo(options: DemoOptions): Promise<DemoResult> {
  const started = Date.now();
  const say = options.write;
  say("Starting a local Kubernetes control plane, Redis and PostgreSQL...");
  const environment = await TestEnvironment.start();
  const logger = createLogger({ component: "demo", level: process.env.LOG_LEVEL ?? "silent" });
  const kc = new k8s.KubeConfig();
  kc.loadFromFile(environment.info.kubeconfig);
  const databaseUrl = environment.info.databaseUrl;
  let components: Awaited<ReturnType<typeof startComponents>> | undefined;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const producer = new JobProducer({ redisUrl: environment.info.redisUrl, prefix: "busca-ativa" });
  try {
    await runMigrations(databaseUrl);
    await installCrds(kc);
    const core = kc.makeApiClient(k8s.CoreV1Api);
    await core.createNamespace({ body: { metadata: { name: NAMESPACE } } });

    const list = syntheticPatientList(options.patients);
    const notOnWhatsApp = list.mobiles.filter((_, i) => i % 25 === 7);
    say(`Starting the controller, a worker, the webhook receiver and the sandbox WhatsApp server...`);
    components = await startComponents({
      kc,
      databaseUrl,
      redisUrl: environment.info.redisUrl,
      prefix: "busca-ativa",
      namespace: NAMESPACE,
      timeScale: options.timeScale,
      logger,
      sandbox: {
        seed: 7,
        timeScale: 0.05,
        registry: { numbers: notOnWhatsApp.map((number) => ({ number, registeredAs: "none" as const })) },
        patients: { shares: { yes: 45, no: 15, unknown: 5, optOut: 5, freeText: 5, silence: 25 } },
      },
    });
    const sandbox = components.sandbox;
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: {
        metadata: { name: "sandbox-credentials" },
        stringData: { apiKey: sandbox.config.evolution.apiKey, webhookToken: SANDBOX_WEBHOOK_TOKEN },
      },
    });
    await core.createNamespacedSecret({
      namespace: NAMESPACE,
      body: { metadata: { name: "lista-demo" }, stringData: { "lista.csv": list.csv } },
    });
    const custom = kc.makeApiClient(k8s.CustomObjectsApi);
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NAMESPACE,
      plural: FOLLOW_UP_SCHEDULE_PLURAL,
      body: followUpSchedule(),
    });
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: NAMESPACE,
      plural: CAMPAIGN_PLURAL,
      body: campaign(sandbox.url),
    });
    say(
      `Applied Campaign ${NAMESPACE}/${CAMPAIGN} (${options.patients} synthetic patients) and FollowUpSchedule ${SCHEDULE}.`,
    );

    const read = async () =>
      (
        (await custom.getNamespacedCustomObject({
          group: GROUP,
          version: VERSION,
          namespace: NAMESPACE,
          plural: CAMPAIGN_PLURAL,
          name: CAMPAIGN,
        })) as {
          status?: CampaignStatus;
        }
      ).status;
    let lastLine = "";
    let lastPrinted = 0;
    let lastFollowUp = 0;
    const status = await waitFor(
      async () => {
        if (Date.now() - lastFollowUp > 3_000) {
          lastFollowUp = Date.now();
          await runFollowUp({
            pool,
            producer,
            kc,
            namespace: NAMESPACE,
            name: SCHEDULE,
            logger,
            timeScale: options.timeScale,
          });
        }
        const current = await read();
        const line = progressLine(current);
        if (options.progress && (line !== lastLine || Date.now() - lastPrinted > 15_000)) {
          say(`${String(Math.round((Date.now() - started) / 1000)).padStart(4)}s ${line}`);
          lastPrinted = Date.now();
        }
        lastLine = line;
        return current?.phase === "Completed" || current?.phase === "Failed" ? current : undefined;
      },
      { timeoutMs: options.timeoutMs, what: "the demo campaign to complete", intervalMs: 1_000 },
    );
    // Completed means every contact reached a final state; the last throttled status write may lag a little.
    const settled = await waitFor(
      async () => {
        const current = await read();
        return current?.progress === 100 ? current : undefined;
      },
      { timeoutMs: 30_000, what: "the final counts", intervalMs: 500 },
    ).catch(() => status);

    say("");
    say(kubectlGet(environment.info.kubeconfig));
    const problems = await checkCounts(settled, list, sandbox.client, pool);
    say(summary(settled));
    if (problems.length === 0)
      say(
        `Every patient is accounted for exactly once. Finished in ${Math.round((Date.now() - started) / 1000)} s.`,
      );
    else for (const p of problems) say(`PROBLEM: ${p}`);
    return {
      ok: problems.length === 0 && settled?.phase === "Completed",
      problems,
      status: settled,
      seconds: (Date.now() - started) / 1000,
    };
  } finally {
    await components?.stop().catch(() => undefined);
    await producer.close().catch(() => undefined);
    await pool.end().catch(() => undefined);
    await environment.stop();
  }
}

function campaign(sandboxUrl: string) {
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: "Campaign",
    metadata: { name: CAMPAIGN, labels: { "buscaativa.io/fila": "cirurgica" } },
    spec: {
      description: "Demonstração: fila cirúrgica sintética",
      audience: { secretKeyRef: { name: "lista-demo", key: "lista.csv" } },
      message: {
        template:
          "Olá, {nome}! Aqui é a Central de Agendamentos do Hospital Universitário Serra Azul. Você está na fila para o procedimento *{procedimento}*. Ainda tem interesse?\n\n1️⃣ *SIM*\n2️⃣ *NÃO*\n3️⃣ *DESCONHEÇO*",
      },
      replies: { declineReason: { timeout: "1h" } },
      sender: {
        provider: "sandbox",
        credentialsSecretRef: { name: "sandbox-credentials" },
        instance: SANDBOX_INSTANCE,
        baseUrl: sandboxUrl,
        rateLimit: { messagesPerMinute: 60_000, burst: 50 },
      },
      schedule: {
        window: { start: "00:00", end: "23:59" },
        daysOfWeek: ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        dailyQuota: 10_000,
        typingWarmup: "0s",
      },
      validation: { enabled: true, batchSize: 50 },
      followUpScheduleRef: { name: SCHEDULE },
    },
  };
}

function followUpSchedule() {
  const menu = "\n\n1️⃣ *SIM*\n2️⃣ *NÃO*\n3️⃣ *DESCONHEÇO*";
  return {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: "FollowUpSchedule",
    metadata: { name: SCHEDULE },
    spec: {
      schedule: "* * * * *",
      timeZone: "America/Fortaleza",
      respectWindow: true,
      steps: [
        {
          name: "lembrete-1",
          afterFirstMessage: "1h",
          template: `Olá, {nome}. Ainda não recebemos sua resposta sobre *{procedimento}*.${menu}`,
        },
        {
          name: "lembrete-2",
          afterFirstMessage: "2h",
          template: `⚠️ Última tentativa, {nome}: ainda tem interesse em *{procedimento}*?${menu}`,
        },
        {
          name: "vaga-liberada",
          afterFirstMessage: "3h",
          final: true,
          template:
            "Olá, {nome}. Sem resposta, a sua vaga para *{procedimento}* foi liberada. Se ainda tiver interesse, ligue para a Central.",
        },
      ],
    },
  };
}

function progressLine(status: CampaignStatus | undefined): string {
  const c = status?.counts ?? {};
  const bar = (p: number) => `[${"#".repeat(Math.round(p / 5)).padEnd(20, ".")}] ${String(p).padStart(3)}%`;
  return (
    `${(status?.phase ?? "Pending").padEnd(10)} ${bar(status?.progress ?? 0)} ` +
    `sent ${c.sent ?? 0}/${c.contacts ?? 0} replied ${c.replied ?? 0} confirmed ${c.confirmed ?? 0} declined ${c.declined ?? 0} ` +
    `not-me ${c.notMe ?? 0} opted-out ${c.optedOut ?? 0} no-response ${c.noResponse ?? 0}` +
    (status?.pauseReason ? ` (${status.pauseReason})` : "")
  );
}

function kubectlGet(kubeconfig: string): string {
  const kubectl = existsSync(join(TOOLS_BIN, "kubectl")) ? join(TOOLS_BIN, "kubectl") : "kubectl";
  try {
    return execFileSync(kubectl, ["get", "campaigns,followupschedules", "-n", NAMESPACE], {
      env: { ...process.env, KUBECONFIG: kubeconfig },
      encoding: "utf8",
      cwd: REPO_ROOT,
    });
  } catch (err) {
    return `(kubectl get failed: ${(err as Error).message})`;
  }
}

function summary(status: CampaignStatus | undefined): string {
  const c = status?.counts ?? {};
  const rows: [string, number | undefined][] = [
    ["patients (after merging duplicates)", c.contacts],
    ["rows refused at import (kept with their reason)", c.rejectedRows],
    ["phones", c.phones],
    ["phones with WhatsApp", c.valid],
    ["phones without WhatsApp or not sendable", c.invalid],
    ["first message sent", c.sent],
    ["delivered", c.delivered],
    ["read", c.read],
    ["replied", c.replied],
    ["confirmed (SIM)", c.confirmed],
    ["declined (NÃO, reason recorded)", c.declined],
    ["not the patient (DESCONHEÇO on every phone)", c.notMe],
    ["opted out", c.optedOut],
    ["no response: slot released", c.noResponse],
  ];
  return ["Summary", ...rows.map(([label, value]) => `  ${label.padEnd(48)} ${value ?? 0}`)].join("\n");
}

async function checkCounts(
  status: CampaignStatus | undefined,
  list: ReturnType<typeof syntheticPatientList>,
  sandbox: { receivedCounts(): Promise<{ duplicates: unknown[] }> },
  pool: pg.Pool,
): Promise<string[]> {
  const problems: string[] = [];
  const c = status?.counts;
  if (status?.phase !== "Completed")
    problems.push(`the campaign ended in phase ${status?.phase ?? "unknown"}, not Completed`);
  if (!c) return [...problems, "the campaign has no counts"];
  if (c.contacts !== list.patients)
    problems.push(`${c.contacts} contacts imported, expected ${list.patients}`);
  if (c.rejectedRows !== list.invalidRows)
    problems.push(`${c.rejectedRows} rows refused, expected ${list.invalidRows}`);
  // Every contact is in exactly one final state.
  const { rows } = await pool.query<{ state: string; n: number }>(
    "SELECT state, count(*)::int AS n FROM contacts GROUP BY state",
  );
  const byState = Object.fromEntries(rows.map((r) => [r.state, r.n]));
  const open =
    (byState.pending ?? 0) + (byState.ready ?? 0) + (byState.sent ?? 0) + (byState.awaiting_reason ?? 0);
  if (open > 0) problems.push(`${open} contacts are still open (${JSON.stringify(byState)})`);
  const total = rows.reduce((sum, r) => sum + r.n, 0);
  if (total !== list.patients) problems.push(`${total} contacts in the database, expected ${list.patients}`);
  // No patient got the same message twice.
  const received = await sandbox.receivedCounts();
  if (received.duplicates.length > 0)
    problems.push(`${received.duplicates.length} messages were received twice by the same number`);
  const { rows: firsts } = await pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM (SELECT phone_id FROM outbox WHERE kind = 'initial' AND state IN ('sent', 'delivered', 'read') GROUP BY phone_id HAVING count(*) > 1) d",
  );
  if ((firsts[0]?.n ?? 0) > 0)
    problems.push(`${firsts[0]!.n} phones have more than one first message recorded`);
  return problems;
}
