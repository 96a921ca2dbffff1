/**
 * Sandbox throughput: how many sends per second the sandbox WhatsApp server sustains at 0 ms latency,
 * driven through our own provider clients (Evolution and Meta wire formats).
 *
 *   npx tsx bench/sandbox-throughput.ts [--sends 20000] [--concurrency 64]
 *
 * The sandbox runs in a child process so that it and the load generator each get a core. Writes
 * bench/results/sandbox-throughput.md.
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { createProvider } from "../worker/providers/factory.js";
import type { E164, WhatsAppProvider } from "../worker/providers/types.js";
import { startSandbox, SandboxClient } from "../test/sandbox/index.js";
import { HttpPoster } from "../test/sandbox/http-post.js";
import { startWebhookReceiver } from "../test/sandbox/webhook-receiver.js";

const args = new Map<string, string>();
for (let i = 2; i < process.argv.length; i += 2)
  args.set(process.argv[i]!.replace(/^--/, ""), process.argv[i + 1] ?? "");

if (args.has("serve")) {
  // Child: the sandbox alone in this process; prints its URL and waits.
  // Child: the sandbox alone in this process; prints its URL, then its CPU time on each "cpu" line.
  const sandbox = await startSandbox({ patients: { enabled: false }, timeScale: 0.001 });
  console.log(sandbox.url);
  createInterface({ input: process.stdin }).on("line", () => {
    const { user, system } = process.cpuUsage();
    console.log(String((user + system) / 1e6));
  });
  process.stdin.on("end", () => void sandbox.close().then(() => process.exit(0)));
} else {
  await main();
}

async function main(): Promise<void> {
  const sends = Number(args.get("sends") ?? 20_000);
  const concurrency = Number(args.get("concurrency") ?? 64);
  const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(import.meta.url), "--serve", "1"], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const lines = createInterface({ input: child.stdout! });
  const nextLine = () => new Promise<string>((resolve) => lines.once("line", resolve));
  const url = await nextLine();
  /** CPU seconds the sandbox process has used so far. */
  const sandboxCpu = async () => {
    const line = nextLine();
    child.stdin!.write("cpu\n");
    return Number(await line);
  };
  const control = new SandboxClient(url);
  const config = await control.config();
  const evolution = createProvider({
    type: "sandbox",
    instance: config.evolution.instances[0]!.name,
    credentials: { baseUrl: url, apiKey: config.evolution.apiKey, webhookToken: "bench" },
  });
  const meta = createProvider({
    type: "meta-cloud",
    phoneNumberId: config.meta.phoneNumbers[0]!.id,
    credentials: {
      accessToken: config.meta.accessToken,
      appSecret: config.webhooks.meta.appSecret,
      verifyToken: "bench",
      graphBaseUrl: url,
    },
  });

  const rows: string[] = [];
  for (const [name, provider] of [
    ["evolution", evolution],
    ["meta-cloud", meta],
  ] as const) {
    await control.reset();
    await run(provider, 2_000, concurrency); // warm-up
    await control.reset();
    const cpuBefore = await sandboxCpu();
    const result = await run(provider, sends, concurrency);
    result.cpuSeconds = (await sandboxCpu()) - cpuBefore;
    const counts = await control.receivedCounts();
    rows.push(row(`${name}, no webhooks`, result, counts.totalMessages, counts.duplicates.length));
  }

  // The same sends from a lean keep-alive HTTP client: the sandbox's capacity with less client overhead.
  const poster = new HttpPoster(concurrency);
  const sendUrl = `${url}/message/sendText/${config.evolution.instances[0]!.name}`;
  const raw: WhatsAppProvider["sendText"] = async (to, text) => {
    const status = await poster.post(
      sendUrl,
      { apikey: config.evolution.apiKey, "content-type": "application/json" },
      Buffer.from(JSON.stringify({ number: to.e164.slice(1), text })),
      10_000,
    );
    if (status !== 201) throw new Error(`sendText answered ${status}`);
    return { providerMessageId: "", acceptedAt: new Date() };
  };
  const rawClient = { ...evolution, sendText: raw } as WhatsAppProvider;
  await control.reset();
  await run(rawClient, 2_000, concurrency);
  await control.reset();
  const rawCpu = await sandboxCpu();
  const rawResult = await run(rawClient, sends, concurrency);
  rawResult.cpuSeconds = (await sandboxCpu()) - rawCpu;
  rows.push(
    row(
      "evolution wire, lean node:http client",
      rawResult,
      (await control.receivedCounts()).totalMessages,
      0,
    ),
  );
  poster.close();

  // With delivery statuses going out as webhooks (3 per send) to a local receiver.
  const receiver = await startWebhookReceiver();
  await control.reset();
  await control.setWebhooks({ evolution: { url: receiver.url }, concurrency: 64 });
  await run(evolution, 2_000, concurrency);
  await control.reset({ keepConfig: true });
  const cpuBefore = await sandboxCpu();
  const withHooks = await run(evolution, Math.min(sends, 10_000), concurrency);
  await waitForWebhooks(control);
  withHooks.cpuSeconds = (await sandboxCpu()) - cpuBefore;
  rows.push(
    row(
      "evolution, 4 webhooks per send (send.message + 3 acks)",
      withHooks,
      (await control.receivedCounts()).totalMessages,
      0,
    ),
  );
  await receiver.close();

  child.stdin!.end();
  const report = [
    "# Sandbox throughput",
    "",
    `Command: \`npx tsx bench/sandbox-throughput.ts --sends ${sends} --concurrency ${concurrency}\``,
    `Date: ${new Date().toISOString()}`,
    `Load average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(", ")}`,
    `Machine: ${cpus().length} cores (${cpus()[0]?.model ?? "?"}), ${Math.round(totalmem() / 2 ** 30)} GiB memory (${Math.round(freemem() / 2 ** 30)} GiB free), Node ${process.version}`,
    "",
    "The sandbox runs in its own process; the load comes from our provider clients (global fetch) or a",
    `lean keep-alive node:http client, with ${concurrency} sends in flight, 0 ms latency, patients off.`,
    "Target: at least 2,000 sends/s. Wall-clock numbers include the load generator on the same 2 cores",
    "(and whatever else runs on the machine); the CPU column is the sandbox's own cost.",
    "",
    "| scenario | sends | seconds | sends/s (wall) | sends per sandbox CPU-second | p50 ms | p99 ms | recorded | duplicates |",
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...rows,
    "",
  ].join("\n");
  writeFileSync(new URL("./results/sandbox-throughput.md", import.meta.url), report);
  console.log(report);
}

interface RunResult {
  sends: number;
  seconds: number;
  latencies: number[];
  /** CPU seconds the sandbox process spent on the run. */
  cpuSeconds?: number;
}

async function waitForWebhooks(control: SandboxClient): Promise<void> {
  for (;;) {
    const stats = await control.stats();
    if (stats.pendingTimers === 0 && stats.webhooks.inFlight === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function run(provider: WhatsAppProvider, total: number, concurrency: number): Promise<RunResult> {
  let next = 0;
  const latencies: number[] = [];
  const started = performance.now();
  const worker = async () => {
    while (next < total) {
      const i = next++;
      const e164 = `+55859${String(10_000_000 + i).padStart(8, "0")}` as E164;
      const t = performance.now();
      await provider.sendText({ e164 }, `Mensagem ${i}`);
      latencies.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { sends: total, seconds: (performance.now() - started) / 1000, latencies };
}

function row(name: string, r: RunResult, recorded: number, duplicates: number): string {
  const sorted = [...r.latencies].sort((a, b) => a - b);
  const pct = (p: number) => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]!.toFixed(1);
  const perCpuSecond = r.cpuSeconds ? Math.round(r.sends / r.cpuSeconds) : "?";
  return `| ${name} | ${r.sends} | ${r.seconds.toFixed(2)} | ${Math.round(r.sends / r.seconds)} | ${perCpuSecond} | ${pct(0.5)} | ${pct(0.99)} | ${recorded} | ${duplicates} |`;
}
