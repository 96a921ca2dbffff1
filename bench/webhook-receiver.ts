/**
 * Webhook receiver throughput and latency: the compiled `busca-ativa webhook` process (as production runs
 * it) with a route for a campaign (webhook_routes, the campaign's spec in PostgreSQL, its credentials
 * Secret in the API server), and a load generator in a second process firing authenticated Evolution
 * MESSAGES_UPSERT (a patient's reply) and MESSAGES_UPDATE (a delivery status) bodies at it over
 * keep-alive connections on 127.0.0.1. Every body has a new message id, so every request stores a row
 * and queues a job, as real traffic does.
 *
 *   npx tsx bench/webhook-receiver.ts [--seconds 15] [--connections 32] [--sweep 8,32,128] [--reuse-build] [--env FILE]
 *
 * Writes bench/results/webhook-receiver.md.
 */
import { spawn } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import { createInterface } from "node:readline";
import { SignJWT } from "jose";
import pg from "pg";
import { campaignSpecSchema, type CampaignSpecInput } from "../crds/index.js";
import { upsertCampaign } from "../controller/campaign/store.js";
import { JobProducer } from "../lib/queue/producer.js";
import { freePort } from "../test/harness/ports.js";
import {
  createMigratedDatabase,
  createNamespace,
  dropDatabase,
  putSecret,
  startBenchEnvironment,
  type BenchEnvironment,
} from "./lib/bench-env.js";
import { buildCli, CliProcess } from "./lib/cli-process.js";
import { httpRequest, runHttpLoad } from "./lib/http-load.js";
import {
  commandLine,
  loadAverageText,
  machineLine,
  parseArgs,
  quantile,
  round,
  writeResult,
} from "./lib/report.js";

const args = parseArgs();
const NAMESPACE = "bench-webhook";
const TOKEN = `bench-${randomBytes(8).toString("hex")}`;
const JWT_KEY = `bench-jwt-${randomBytes(16).toString("hex")}`;

interface LoadSpec {
  port: number;
  connections: number;
  seconds: number;
  kind: "upsert" | "update";
  auth: "token" | "jwt";
  runId: string;
}

interface LoadSummary {
  requests: number;
  perSecond: number;
  statuses: Record<string, number>;
  socketErrors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Every 200 answer, warm-up included (each stored and queued events). */
  accepted: number;
  cpuSeconds: number;
}

const CHANNEL = { token: "hospital-token", jwt: "hospital-jwt" } as const;

if (args.has("load")) {
  await loadChild(JSON.parse(args.get("load")!) as LoadSpec);
} else {
  await main();
}

/** Child: fires the bodies for `seconds` (after a 3 s warm-up) and prints a JSON summary. */
async function loadChild(spec: LoadSpec): Promise<void> {
  const channel = CHANNEL[spec.auth];
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (spec.auth === "token") headers["x-webhook-token"] = TOKEN_FROM_ENV();
  else
    headers.authorization = `Bearer ${await new SignJWT({ app: "evolution", action: "webhook" })
      .setProtectedHeader({ alg: "HS256", typ: "JWT" })
      .setIssuedAt()
      .setExpirationTime("10m")
      .sign(new TextEncoder().encode(process.env.BENCH_JWT_KEY!))}`;
  const path = `/webhooks/evolution/${NAMESPACE}/${channel}`;
  const now = new Date().toISOString();
  const body = (i: number) => {
    const id = `BENCH${spec.runId}${i.toString(36).toUpperCase()}`;
    const phone = `55859${String(80_000_000 + (i % 1_000_000)).padStart(8, "0")}`;
    return spec.kind === "upsert"
      ? JSON.stringify({
          event: "messages.upsert",
          instance: channel,
          data: {
            key: { remoteJid: `${phone}@s.whatsapp.net`, fromMe: false, id },
            pushName: "Paciente",
            message: { conversation: "SIM" },
            messageType: "conversation",
            messageTimestamp: Math.floor(Date.now() / 1000),
          },
          date_time: now,
          sender: "558533668000@s.whatsapp.net",
          server_url: "http://127.0.0.1",
          apikey: null,
        })
      : JSON.stringify({
          event: "messages.update",
          instance: channel,
          data: {
            keyId: id,
            remoteJid: `${phone}@s.whatsapp.net`,
            fromMe: true,
            status: "DELIVERY_ACK",
          },
          date_time: now,
          sender: "558533668000@s.whatsapp.net",
          server_url: "http://127.0.0.1",
          apikey: null,
        });
  };
  let accepted = 0;
  const cpuStart = process.cpuUsage();
  const result = await runHttpLoad({
    host: "127.0.0.1",
    port: spec.port,
    connections: spec.connections,
    durationMs: spec.seconds * 1000,
    warmupMs: 3000,
    request: (i) => httpRequest("POST", path, headers, body(i)),
    onStatus: (status) => {
      if (status === 200) accepted++;
    },
  });
  const cpu = process.cpuUsage(cpuStart);
  const l = result.latencies;
  const summary: LoadSummary = {
    requests: result.requests,
    perSecond: result.perSecond,
    statuses: result.statuses,
    socketErrors: result.socketErrors,
    p50: quantile(l, 0.5),
    p90: quantile(l, 0.9),
    p99: quantile(l, 0.99),
    max: l[l.length - 1] ?? NaN,
    accepted,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
  console.log(JSON.stringify(summary));
}

function TOKEN_FROM_ENV(): string {
  return process.env.BENCH_WEBHOOK_TOKEN!;
}

async function runLoad(spec: LoadSpec): Promise<LoadSummary> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", fileURLToPath(import.meta.url), "--load", JSON.stringify(spec)],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, BENCH_WEBHOOK_TOKEN: TOKEN, BENCH_JWT_KEY: JWT_KEY },
    },
  );
  const lines = createInterface({ input: child.stdout! });
  const line = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve);
    child.once("exit", (code) => reject(new Error(`The load generator exited with ${code}`)));
  });
  return JSON.parse(line) as LoadSummary;
}

function evolutionSpec(instance: string, auth: "token" | "jwt", secret: string): CampaignSpecInput {
  return {
    audience: { listRef: { name: "bench-list" } },
    message: { template: "Olá, {nome}!" },
    sender: {
      provider: "evolution",
      credentialsSecretRef: { name: secret },
      instance,
      baseUrl: "http://127.0.0.1:9",
      webhook: { authentication: auth },
    },
    schedule: { window: { start: "08:00", end: "18:00" } },
  } as CampaignSpecInput;
}

interface Row {
  label: string;
  connections: number;
  load: LoadSummary;
  cpu: { webhook: number; postgres: number; redis: number };
  stored: number;
  queued: number;
  rssMiB: number;
  heapUsedMiB: number;
  loadAverage: string;
}

/** The receiver's V8 heap in use (its /metrics, prom-client's default Node.js metrics). */
async function heapUsedMiB(port: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  return Number(/^nodejs_heap_size_used_bytes (\S+)$/m.exec(text)?.[1]) / 2 ** 20;
}

async function main(): Promise<void> {
  const seconds = Number(args.get("seconds") ?? 15);
  const connections = Number(args.get("connections") ?? 32);
  const sweep = (args.get("sweep") ?? "8,32,128").split(",").map(Number);
  buildCli(args.has("reuse-build"));
  const env = await startBenchEnvironment({ envFile: args.get("env") });
  const dbName = `bench_webhook_${randomBytes(3).toString("hex")}`;
  const databaseUrl = await createMigratedDatabase(env.info.databaseUrl, dbName);
  const prefix = `bench-webhook-${randomBytes(3).toString("hex")}`;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
  const producer = new JobProducer({ redisUrl: env.info.redisUrl, prefix });
  let webhook: CliProcess | undefined;
  try {
    await createNamespace(env.kc, NAMESPACE);
    await putSecret(env.kc, NAMESPACE, "evolution-token", { apiKey: "bench", webhookToken: TOKEN });
    await putSecret(env.kc, NAMESPACE, "evolution-jwt", { apiKey: "bench", webhookJwtKey: JWT_KEY });
    for (const auth of ["token", "jwt"] as const) {
      await upsertCampaign(pool, {
        uid: randomUUID(),
        namespace: NAMESPACE,
        name: `bench-${auth}`,
        generation: 1,
        spec: campaignSpecSchema.parse(evolutionSpec(CHANNEL[auth], auth, `evolution-${auth}`)),
      });
    }
    const port = await freePort();
    webhook = CliProcess.start("webhook", ["webhook"], {
      DATABASE_URL: databaseUrl,
      REDIS_URL: env.info.redisUrl,
      QUEUE_PREFIX: prefix,
      KUBECONFIG: env.info.kubeconfig,
      WEBHOOK_PORT: String(port),
      LOG_LEVEL: "info",
    });
    await webhook.waitForLine((l) => l.msg === "Webhook receiver listening", 120_000);

    const rows: Row[] = [];
    const run = async (label: string, kind: LoadSpec["kind"], auth: LoadSpec["auth"], conns: number) => {
      const before = await counts(env, webhook!, pool, producer);
      const load = await runLoad({
        port,
        connections: conns,
        seconds,
        kind,
        auth,
        runId: randomBytes(3).toString("hex"),
      });
      const after = await counts(env, webhook!, pool, producer);
      const row: Row = {
        label,
        connections: conns,
        load,
        cpu: {
          webhook: after.cpu.webhook - before.cpu.webhook,
          postgres: after.cpu.postgres - before.cpu.postgres,
          redis: after.cpu.redis - before.cpu.redis,
        },
        stored: after.stored - before.stored,
        queued: after.queued - before.queued,
        rssMiB: webhook!.rssBytes() / 2 ** 20,
        heapUsedMiB: await heapUsedMiB(port),
        loadAverage: loadAverageText(),
      };
      console.error(
        `${label}, ${conns} connections: ${round(load.perSecond, 0)} rps, p50 ${round(load.p50)} ms, p99 ${round(load.p99)} ms, statuses ${JSON.stringify(load.statuses)}, stored ${row.stored}/${load.accepted}, queued ${row.queued}; load ${row.loadAverage}`,
      );
      rows.push(row);
    };
    // Warm the route cache and the JIT before anything is measured.
    await runLoad({ port, connections: 4, seconds: 2, kind: "upsert", auth: "token", runId: "warm" });
    await run("MESSAGES_UPSERT, token", "upsert", "token", connections);
    await run("MESSAGES_UPDATE, token", "update", "token", connections);
    await run("MESSAGES_UPSERT, JWT", "upsert", "jwt", connections);
    for (const c of sweep.filter((c) => c !== connections))
      await run("MESSAGES_UPSERT, token", "upsert", "token", c);
    const path = writeResult("webhook-receiver", report(rows, seconds));
    console.log(`Wrote ${path}`);
    if (webhook.errors.length) console.error(`webhook errors: ${webhook.errors.slice(0, 5).join(" | ")}`);
  } finally {
    await webhook?.stop();
    await producer
      .queue("inbound")
      .obliterate({ force: true })
      .catch(() => undefined);
    await producer
      .queue("status")
      .obliterate({ force: true })
      .catch(() => undefined);
    await producer.close();
    await pool.end();
    await dropDatabase(env.info.databaseUrl, dbName);
    await env.stop();
  }
}

async function counts(env: BenchEnvironment, webhook: CliProcess, pool: pg.Pool, producer: JobProducer) {
  const servers = await env.cpu();
  const { rows } = await pool.query<{ n: string }>(
    "SELECT (SELECT count(*) FROM inbound_messages) + (SELECT count(*) FROM delivery_events) AS n",
  );
  const inbound = await producer
    .queue("inbound")
    .getJobCounts("wait", "delayed", "active", "completed", "failed");
  const status = await producer
    .queue("status")
    .getJobCounts("wait", "delayed", "active", "completed", "failed");
  const queued = [...Object.values(inbound), ...Object.values(status)].reduce((a, b) => a + b, 0);
  return {
    cpu: { webhook: webhook.cpuSeconds(), postgres: servers.postgres, redis: servers.redis },
    stored: Number(rows[0]!.n),
    queued,
  };
}

function report(rows: Row[], seconds: number): string[] {
  const lines = [
    "# Webhook receiver",
    "",
    `Command: \`${commandLine("webhook-receiver.ts")}\``,
    `Date: ${new Date().toISOString()}`,
    `Machine: ${machineLine()}`,
    "",
    "The compiled `busca-ativa webhook` process (one Node.js process, PostgreSQL pool of 20) with two routes,",
    "`/webhooks/evolution/<namespace>/hospital-token` (static `x-webhook-token` header) and",
    "`…/hospital-jwt` (Evolution's HS256 JWT in `Authorization`), each resolved through webhook_routes, the",
    "campaign's spec in PostgreSQL and its credentials Secret in the API server (cached for 60 s). A second",
    "process (bench/lib/http-load.ts: raw keep-alive sockets, closed loop) sends one request per connection",
    `at a time for ${seconds} s after a 3 s warm-up; each body has a new provider message id, so every request`,
    "inserts a row (inbound_messages or delivery_events) with one prepared, autocommitted statement (a",
    "single-event body needs no BEGIN/COMMIT) and adds one BullMQ job. Nothing",
    'consumes the jobs during the run. "stored" and "queued" count rows and jobs created during the run',
    "(warm-up included) against every 200 answer. CPU: the webhook process, PostgreSQL's process tree and Redis.",
    "Target: ≥ 2,000 requests/s with p99 < 50 ms.",
    "",
    "| body, authentication | connections | requests/s | p50 ms | p90 ms | p99 ms | max ms | statuses | stored / 200s | queued | CPU s webhook | CPU s PostgreSQL | CPU s Redis | CPU s load generator | CPU ms per request (server side) | webhook RSS MiB (heap used) | load avg |",
    "|---|---:|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of rows) {
    const serverCpu = r.cpu.webhook + r.cpu.postgres + r.cpu.redis;
    lines.push(
      `| ${r.label} | ${r.connections} | ${round(r.load.perSecond, 0)} | ${round(r.load.p50)} | ${round(r.load.p90)} | ${round(r.load.p99)} | ${round(r.load.max)} | ${Object.entries(
        r.load.statuses,
      )
        .map(([s, n]) => `${s}: ${n}`)
        .join(
          ", ",
        )} | ${r.stored} / ${r.load.accepted} | ${r.queued} | ${round(r.cpu.webhook)} | ${round(r.cpu.postgres)} | ${round(r.cpu.redis)} | ${round(r.load.cpuSeconds)} | ${round((1000 * serverCpu) / Math.max(1, r.load.accepted), 2)} | ${round(r.rssMiB, 0)} (${round(r.heapUsedMiB, 0)}) | ${r.loadAverage} |`,
    );
  }
  return lines;
}
