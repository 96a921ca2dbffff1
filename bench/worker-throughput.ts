/**
 * Worker throughput end to end: pending outbox rows → send jobs in Redis → worker processes (the compiled
 * CLI, `busca-ativa worker --groups outbound`, as production runs it) → the sandbox WhatsApp server →
 * rows recorded as sent in PostgreSQL. Measured with 1, 2 and 4 worker processes at 0 ms and 200 ms
 * provider latency; CPU-seconds per 1,000 messages (workers, Redis, PostgreSQL; the sandbox apart);
 * Redis memory per queued job; and the accuracy of a per-sender rate limit.
 *
 *   npx tsx bench/worker-throughput.ts [--messages 20000] [--slow-messages 4000] [--workers 1,2,4]
 *     [--latencies 0,200] [--concurrency 20] [--rate-limit-per-minute 600] [--reuse-build] [--env FILE]
 *     [--only-throughput]   (skip the memory and rate-limit runs and the result file, for quick checks)
 *     [--only-rate-limit] [--rate-limit-messages 600]   (only the rate-limit run, printed, no result file)
 *
 * Everything runs on this machine: the harness's kube-apiserver (the workers read the credentials Secret
 * through it), Redis and PostgreSQL, the sandbox in its own process, the workers in theirs. Writes
 * bench/results/worker-throughput.md.
 */
import { randomBytes } from "node:crypto";
import { Redis } from "ioredis";
import pg from "pg";
import { jobIds } from "../lib/queue/jobs.js";
import { JobProducer } from "../lib/queue/producer.js";
import { SandboxClient } from "../test/sandbox/index.js";
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
  quantile,
  round,
  sleep,
  writeResult,
} from "./lib/report.js";
import { SANDBOX_SECRET, sandboxSenderSpec, seedPendingSends } from "./lib/send-seed.js";

const args = parseArgs();
const MESSAGES = Number(args.get("messages") ?? 20_000);
const SLOW_MESSAGES = Number(args.get("slow-messages") ?? 4_000);
const WORKERS = (args.get("workers") ?? "1,2,4").split(",").map(Number);
const LATENCIES = (args.get("latencies") ?? "0,200").split(",").map(Number);
const CONCURRENCY = Number(args.get("concurrency") ?? 20);
const RATE_PER_MINUTE = Number(args.get("rate-limit-per-minute") ?? 600);
/** Senders (sandbox instances, one campaign each): each is capped at 60,000/min by the API. */
const SENDERS = 4;
const NAMESPACE = "bench-worker";

interface ScenarioOptions {
  label: string;
  workers: number;
  latencyMs: number;
  messages: number;
  concurrency: number;
  senders: number;
  messagesPerMinute: number;
  burst: number;
}

interface ScenarioResult extends ScenarioOptions {
  /** First to last message received by the sandbox (its own clock, ms resolution). */
  spanSeconds: number;
  perSecond: number;
  /** From releasing the queue to the last row recorded as sent. */
  wallSeconds: number;
  received: number;
  duplicates: number;
  sentRows: number;
  /** Send jobs run per message (1.0: each ran once), and their outcomes (the workers' metrics). */
  runsPerMessage: number;
  sendRuns: Record<string, number>;
  cpu: { workers: number; redis: number; postgres: number; apiserver: number; sandbox: number };
  receivedAt: number[];
  workerRssMiB: number;
  load: string;
}

async function main(): Promise<void> {
  buildCli(args.has("reuse-build"));
  const env = await startBenchEnvironment({ envFile: args.get("env") });
  const sandbox = await startSandboxProcess({
    patients: { enabled: false },
    requestLogLimit: 100,
    evolution: { instances: Array.from({ length: SENDERS }, (_, i) => ({ name: `bench-${i}` })) },
  });
  const control = new SandboxClient(sandbox.url);
  const config = await control.config();
  await createNamespace(env.kc, NAMESPACE);
  await putSecret(env.kc, NAMESPACE, SANDBOX_SECRET, {
    apiKey: config.evolution.apiKey,
    webhookToken: "bench-token",
  });

  const results: ScenarioResult[] = [];
  try {
    if (args.has("only-rate-limit")) {
      console.log(rateReport(await rateScenario(env, sandbox, control)).join("\n"));
      return;
    }
    for (const latencyMs of LATENCIES) {
      for (const workers of WORKERS) {
        results.push(
          await runScenario(env, sandbox, control, {
            label: `${workers} × concurrency ${CONCURRENCY}`,
            workers,
            latencyMs,
            messages: latencyMs === 0 ? MESSAGES : SLOW_MESSAGES,
            concurrency: CONCURRENCY,
            senders: SENDERS,
            messagesPerMinute: 60_000,
            burst: 1000,
          }),
        );
      }
    }
    // At 200 ms a worker is bound by its concurrency (Little's law), not by CPU: the same with more slots.
    if (LATENCIES.includes(200) && !args.has("only-throughput")) {
      results.push(
        await runScenario(env, sandbox, control, {
          label: "1 × concurrency 200",
          workers: 1,
          latencyMs: 200,
          messages: SLOW_MESSAGES * 2,
          concurrency: 200,
          senders: SENDERS,
          messagesPerMinute: 60_000,
          burst: 1000,
        }),
      );
    }
    if (args.has("only-throughput")) {
      for (const r of results)
        console.log(`${r.label} at ${r.latencyMs} ms: ${round(r.perSecond, 0)} msgs/s`);
      return;
    }
    const memory = await redisMemoryPerJob(env);
    const rate = await rateScenario(env, sandbox, control);
    const path = writeResult("worker-throughput", report(results, memory, rate));
    console.log(`Wrote ${path}`);
  } finally {
    await sandbox.process.stop();
    await env.stop();
  }
}

async function runScenario(
  env: BenchEnvironment,
  sandbox: { process: CliProcess; url: string },
  control: SandboxClient,
  options: ScenarioOptions,
): Promise<ScenarioResult> {
  const id = `${options.workers}w${options.latencyMs}ms${randomBytes(3).toString("hex")}`;
  console.error(`Scenario ${options.label} at ${options.latencyMs} ms: ${options.messages} messages`);
  const dbName = `bench_worker_${id}`;
  const databaseUrl = await createMigratedDatabase(env.info.databaseUrl, dbName);
  const prefix = `bench-${id}`;
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 4 });
  const producer = new JobProducer({ redisUrl: env.info.redisUrl, prefix });
  const workers: CliProcess[] = [];
  try {
    // Rows first, then jobs into a paused queue, then the workers; releasing the queue starts the clock.
    const perSender = Math.ceil(options.messages / options.senders);
    const seeded = [];
    for (let i = 0; i < options.senders; i++) {
      const count = Math.min(perSender, options.messages - i * perSender);
      seeded.push(
        await seedPendingSends(pool, {
          namespace: NAMESPACE,
          name: `bench-${id}-${i}`,
          count,
          numberOffset: 0,
          spec: sandboxSenderSpec({
            instance: `bench-${i}`,
            sandboxUrl: sandbox.url,
            messagesPerMinute: options.messagesPerMinute,
            burst: options.burst,
          }),
        }),
      );
    }
    const queue = producer.queue("send");
    await queue.pause();
    // Interleave the campaigns, as several campaigns sending at once would.
    const jobs = [];
    for (let k = 0; k < perSender; k++) {
      for (const s of seeded) {
        const outboxId = s.outboxIds[k];
        if (outboxId !== undefined)
          jobs.push({ jobId: jobIds.send(outboxId, 0), data: { campaignUid: s.campaignUid, outboxId } });
      }
    }
    await producer.addBulk("send", jobs);
    await control.reset({ keepConfig: true });
    await control.setFaults({ latencyMs: options.latencyMs });

    for (let k = 0; k < options.workers; k++) {
      workers.push(
        CliProcess.start(`worker-${k}`, ["worker", "--groups", "outbound"], {
          DATABASE_URL: databaseUrl,
          REDIS_URL: env.info.redisUrl,
          QUEUE_PREFIX: prefix,
          KUBECONFIG: env.info.kubeconfig,
          HEALTH_PORT: "0",
          LOG_LEVEL: "info",
          WORKER_CONCURRENCY: String(options.concurrency),
          POD_NAME: `bench-worker-${k}`,
        }),
      );
    }
    const healthPorts = (
      await Promise.all(workers.map((w) => w.waitForLine((l) => l.msg === "Worker started", 120_000)))
    ).map((line) => Number(line.healthPort));
    await sleep(1000);

    const cpuBefore = await cpuNow(env, sandbox.process, workers);
    const started = Date.now();
    await queue.resume();
    const deadline = started + (options.messages / 5) * 1000 + 120_000;
    let sentRows = 0;
    for (;;) {
      const { rows } = await pool.query<{ sent: string; open: string }>(
        `SELECT count(*) FILTER (WHERE state IN ('sent', 'delivered', 'read')) AS sent,
                count(*) FILTER (WHERE state IN ('pending', 'claimed')) AS open FROM outbox`,
      );
      sentRows = Number(rows[0]!.sent);
      if (Number(rows[0]!.open) === 0) break;
      if (Date.now() > deadline) {
        console.error(`  gave up waiting: ${sentRows} of ${options.messages} sent`);
        break;
      }
      await sleep(200);
    }
    const wallSeconds = (Date.now() - started) / 1000;
    const cpuAfter = await cpuNow(env, sandbox.process, workers);
    const workerRssMiB = workers.reduce((sum, w) => sum + w.rssBytes(), 0) / 2 ** 20;
    const load = loadAverageText();
    const sendRuns = await sendJobOutcomes(healthPorts);
    const messages = await control.receivedAll();
    const counts = await control.receivedCounts();
    const receivedAt = messages.map((m) => m.at).sort((a, b) => a - b);
    const spanSeconds = (receivedAt.at(-1)! - receivedAt[0]!) / 1000;
    for (const w of workers) {
      if (w.errors.length) console.error(`  ${w.name} errors: ${w.errors.slice(0, 3).join(" | ")}`);
    }
    const result: ScenarioResult = {
      ...options,
      spanSeconds,
      perSecond: (receivedAt.length - 1) / spanSeconds,
      wallSeconds,
      received: counts.totalMessages,
      duplicates: counts.duplicates.length,
      sentRows,
      runsPerMessage: Object.values(sendRuns).reduce((a, b) => a + b, 0) / Math.max(1, options.messages),
      sendRuns,
      cpu: {
        workers: cpuAfter.workers - cpuBefore.workers,
        redis: cpuAfter.redis - cpuBefore.redis,
        postgres: cpuAfter.postgres - cpuBefore.postgres,
        apiserver: cpuAfter.apiserver - cpuBefore.apiserver,
        sandbox: cpuAfter.sandbox - cpuBefore.sandbox,
      },
      receivedAt,
      workerRssMiB,
      load,
    };
    console.error(
      `  ${round(result.perSecond, 0)} msgs/s over ${round(spanSeconds)} s; received ${result.received}, duplicates ${result.duplicates}; send job runs/message ${round(result.runsPerMessage, 2)} ${JSON.stringify(result.sendRuns)}; CPU workers ${round(result.cpu.workers)} s, redis ${round(result.cpu.redis)} s, postgres ${round(result.cpu.postgres)} s, sandbox ${round(result.cpu.sandbox)} s; load ${load}`,
    );
    return result;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await producer
      .queue("send")
      .obliterate({ force: true })
      .catch(() => undefined);
    await producer.close();
    await pool.end();
    await dropDatabase(env.info.databaseUrl, dbName);
  }
}

/** Send jobs the workers ran, by outcome (sent, deferred, early, …), from their /metrics. */
async function sendJobOutcomes(ports: readonly number[]): Promise<Record<string, number>> {
  const outcomes: Record<string, number> = {};
  for (const port of ports) {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    for (const m of text.matchAll(/^busca_ativa_jobs_total\{queue="send",outcome="([^"]+)"\} (\S+)$/gm)) {
      outcomes[m[1]!] = (outcomes[m[1]!] ?? 0) + Number(m[2]);
    }
  }
  return outcomes;
}

async function cpuNow(env: BenchEnvironment, sandbox: CliProcess, workers: CliProcess[]) {
  const servers = await env.cpu();
  return {
    workers: workers.reduce((sum, w) => sum + w.cpuSeconds(), 0),
    redis: servers.redis,
    postgres: servers.postgres,
    apiserver: servers.apiserver,
    sandbox: sandbox.cpuSeconds(),
  };
}

/** used_memory before and after adding 10,000 delayed send jobs with the product's own ids and options. */
async function redisMemoryPerJob(
  env: BenchEnvironment,
): Promise<{ jobs: number; bytesPerJob: number; keysPerJob: number }> {
  const prefix = `bench-mem-${randomBytes(3).toString("hex")}`;
  const producer = new JobProducer({ redisUrl: env.info.redisUrl, prefix });
  const redis = new Redis(env.info.redisUrl);
  const jobs = 10_000;
  try {
    await producer.queue("send").waitUntilReady();
    const usedMemory = async () => Number(/^used_memory:(\d+)/m.exec(await redis.info("memory"))![1]);
    const keys = async () => Number((await redis.dbsize()) ?? 0);
    const campaignUid = "5b0c8a0e-2f7e-4c53-9a51-0d8c1f3a7e21";
    const addOne = {
      jobId: jobIds.send(999_999_999, 0),
      data: { campaignUid, outboxId: 999_999_999 },
      delayMs: 3_600_000,
    };
    await producer.addBulk("send", [addOne]); // the queue's own keys exist before the measurement
    const before = await usedMemory();
    const keysBefore = await keys();
    await producer.addBulk(
      "send",
      Array.from({ length: jobs }, (_, i) => ({
        jobId: jobIds.send(1_000_000 + i, 0),
        data: { campaignUid, outboxId: 1_000_000 + i },
        delayMs: 3_600_000,
      })),
    );
    const after = await usedMemory();
    const keysAfter = await keys();
    return { jobs, bytesPerJob: (after - before) / jobs, keysPerJob: (keysAfter - keysBefore) / jobs };
  } finally {
    await producer
      .queue("send")
      .obliterate({ force: true })
      .catch(() => undefined);
    await producer.close();
    redis.disconnect();
  }
}

function cpuPerThousand(r: ScenarioResult): { ours: number; sandbox: number } {
  const perK = 1000 / Math.max(1, r.received);
  return { ours: (r.cpu.workers + r.cpu.redis + r.cpu.postgres) * perK, sandbox: r.cpu.sandbox * perK };
}

function report(
  results: ScenarioResult[],
  memory: { jobs: number; bytesPerJob: number; keysPerJob: number },
  rate: ScenarioResult,
): string[] {
  const lines = [
    "# Worker throughput",
    "",
    `Command: \`${commandLine("worker-throughput.ts")}\``,
    `Date: ${new Date().toISOString()}`,
    `Machine: ${machineLine()}`,
    "",
    "## Messages per second end to end",
    "",
    `Pending outbox rows (first messages) of ${SENDERS} campaigns, each on its own sandbox sender with`,
    "`rateLimit.messagesPerMinute: 60000` (the API's maximum, 1,000/s per sender) and `burst: 1000`, so the",
    "sender limit does not bind; their send jobs are added to a paused queue, the worker processes",
    "(`busca-ativa worker --groups outbound` from the compiled CLI, `npm run build` output) start, and releasing the",
    "queue starts the clock. msgs/s is (messages − 1) ÷ (last − first arrival at the sandbox, its clock).",
    "CPU is charged from /proc (workers) and `INFO cpu` (Redis) and the PostgreSQL server's process tree;",
    '"ours" is workers + Redis + PostgreSQL per 1,000 messages; the sandbox (the provider) is apart.',
    "Everything shares the same 2 cores, and other jobs were running on the machine (load average column).",
    "",
    "| latency | workers | messages | msgs/s | span s | received | duplicates | send job runs per message | CPU s workers | CPU s Redis | CPU s PostgreSQL | CPU s per 1k (ours) | CPU s per 1k (sandbox) | worker RSS MiB (sum) | load avg |",
    "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  ];
  for (const r of results) {
    const perK = cpuPerThousand(r);
    lines.push(
      `| ${r.latencyMs} ms | ${r.label} | ${r.messages} | ${round(r.perSecond, 0)} | ${round(r.spanSeconds)} | ${r.received} | ${r.duplicates} | ${round(r.runsPerMessage, 2)} | ${round(r.cpu.workers)} | ${round(r.cpu.redis)} | ${round(r.cpu.postgres)} | ${round(perK.ours, 2)} | ${round(perK.sandbox, 2)} | ${round(r.workerRssMiB, 0)} | ${r.load} |`,
    );
  }
  lines.push(
    "",
    "## Redis memory per queued job",
    "",
    `\`INFO memory\` used_memory before and after adding ${memory.jobs.toLocaleString("en")} delayed send jobs`,
    "(the product's job ids and id-only payloads, default job options):",
    "",
    `- ${round(memory.bytesPerJob, 0)} bytes per job; ${round(memory.keysPerJob, 2)} Redis keys per job.`,
    `- So 1 million queued sends would need about ${round((memory.bytesPerJob * 1e6) / 2 ** 20, 0)} MiB.`,
    "",
    ...rateReport(rate),
  );
  return lines;
}

/** One sender at `RATE_PER_MINUTE`, burst 1: a minute of sending by two workers. */
function rateScenario(
  env: BenchEnvironment,
  sandbox: { process: CliProcess; url: string },
  control: SandboxClient,
): Promise<ScenarioResult> {
  return runScenario(env, sandbox, control, {
    label: `rate limit ${RATE_PER_MINUTE}/min, burst 1`,
    workers: 2,
    latencyMs: 0,
    messages: Number(args.get("rate-limit-messages") ?? RATE_PER_MINUTE), // default: one minute of sending
    concurrency: CONCURRENCY,
    senders: 1,
    messagesPerMinute: RATE_PER_MINUTE,
    burst: 1,
  });
}

function rateReport(r: ScenarioResult): string[] {
  const limitPerSecond = r.messagesPerMinute / 60;
  const at = r.receivedAt;
  // Largest number of arrivals in any sliding 1-second window [t, t + 1000 ms).
  let maxWindow = 0;
  for (let i = 0, j = 0; i < at.length; i++) {
    while (j < at.length && at[j]! < at[i]! + 1000) j++;
    maxWindow = Math.max(maxWindow, j - i);
  }
  const gaps = at
    .slice(1)
    .map((t, i) => t - at[i]!)
    .sort((a, b) => a - b);
  const achieved = (at.length - 1) / ((at.at(-1)! - at[0]!) / 1000);
  return [
    "## Rate-limit accuracy",
    "",
    `One sender with \`rateLimit.messagesPerMinute: ${r.messagesPerMinute}\` (${round(limitPerSecond, 1)}/s) and \`burst: 1\`,`,
    `${r.messages} first messages, ${r.workers} worker processes × concurrency ${r.concurrency}, 0 ms latency;`,
    "arrival times from the sandbox's record of what it received.",
    "",
    `- Achieved: ${round(achieved, 2)} msgs/s = ${round((100 * achieved) / limitPerSecond, 1)}% of the limit (target ≥ 95%).`,
    `- Most arrivals in any sliding 1-second window: ${maxWindow} (allowed: ${round(limitPerSecond, 1)} × 1 s + burst 1 = ${Math.floor(limitPerSecond) + 1}).`,
    `- Gap between consecutive arrivals: min ${round(gaps[0] ?? NaN, 0)} ms, p1 ${round(quantile(gaps, 0.01), 0)} ms, p50 ${round(quantile(gaps, 0.5), 0)} ms, p99 ${round(quantile(gaps, 0.99), 0)} ms, max ${round(gaps.at(-1) ?? NaN, 0)} ms.`,
    `- Received ${r.received}, duplicates ${r.duplicates}; send jobs run per message ${round(r.runsPerMessage, 2)}, by outcome ${JSON.stringify(r.sendRuns)} (a "deferred" run found the sender's budget spent and moved to delayed until its turn).`,
    `- CPU while sending at ${round(limitPerSecond, 0)}/s: workers ${round(r.cpu.workers)} s, Redis ${round(r.cpu.redis)} s, PostgreSQL ${round(r.cpu.postgres)} s over ${round(r.spanSeconds)} s.`,
    "",
  ];
}

await main();
