/**
 * Export benchmark: `busca-ativa export`'s code (lib/export) on campaigns of 10,000 and 100,000 contacts, CSV
 * and XLSX: seconds, rows per second, file size and peak memory, to show memory does not grow with the list.
 *
 *   npx tsx bench/export.ts                          # starts a private PostgreSQL
 *   DATABASE_URL=postgres://... npx tsx bench/export.ts   # uses that server (creates and drops databases)
 *
 * Each export runs in its own child process, so its peak RSS (getrusage maxrss) is that export's alone; a
 * child that only loads the modules gives the baseline. Results go to bench/results/export.md.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RESULT_FILE = join(ROOT, "bench", "results", "export.md");
const SIZES = [10_000, 100_000];
const FORMATS = ["csv", "xlsx"] as const;

interface ChildResult {
  seconds: number;
  rows: number;
  bytes: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  /** Largest heap still in use right after a full garbage collection (sampled every second). */
  peakLiveHeapMiB: number;
}

async function child(mode: string, databaseUrl: string, uid: string, output: string): Promise<void> {
  const { createPool } = await import("../lib/db/pool.js");
  const { exportCampaign } = await import("../lib/export/export-campaign.js");
  const { findExportCampaign } = await import("../lib/export/rows.js");
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 20);
  const gc = (globalThis as { gc?: () => void }).gc;
  let peakLiveHeap = 0;
  const liveSampler = setInterval(() => {
    gc?.();
    peakLiveHeap = Math.max(peakLiveHeap, process.memoryUsage().heapUsed);
  }, 1000);
  const pool = createPool({ connectionString: databaseUrl, max: 2 });
  const started = performance.now();
  let rows = 0;
  let bytes = 0;
  if (mode !== "baseline") {
    const { rows: found } = await pool.query<{ namespace: string; name: string }>(
      "SELECT namespace, name FROM campaigns WHERE uid = $1",
      [uid],
    );
    const { campaign } = await findExportCampaign(pool, found[0]!.namespace, found[0]!.name, uid);
    const summary = await exportCampaign({ pool, campaign, format: mode as "csv" | "xlsx", output });
    rows = summary.rows;
    bytes = summary.bytes;
  }
  const seconds = (performance.now() - started) / 1000;
  clearInterval(sampler);
  clearInterval(liveSampler);
  await pool.end();
  const result: ChildResult = {
    seconds,
    rows,
    bytes,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    peakHeapMiB: peakHeap / 1024 / 1024,
    peakLiveHeapMiB: peakLiveHeap / 1024 / 1024,
  };
  process.stdout.write(JSON.stringify(result));
}

function runChild(
  mode: string,
  databaseUrl: string,
  uid: string,
  output: string,
  nodeOptions: string[] = [],
): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [
        "--expose-gc",
        ...nodeOptions,
        ...process.execArgv,
        fileURLToPath(import.meta.url),
        "child",
        mode,
        databaseUrl,
        uid,
        output,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let out = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.on("error", reject);
    proc.on("close", (code) =>
      code === 0
        ? resolve(JSON.parse(out) as ChildResult)
        : reject(new Error(`child ${mode} exited ${code}`)),
    );
  });
}

/** A finished campaign of `n` contacts: mixed states, one or two phones, first messages and replies. */
async function seed(databaseUrl: string, n: number): Promise<string> {
  const uid = randomUUID();
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(
      `INSERT INTO campaigns (uid, namespace, name, state, spec, completed_at)
       VALUES ($1, 'bench', $2, 'completed', '{"schedule":{"timeZone":"America/Fortaleza"}}', now())`,
      [uid, `export-${n}`],
    );
    await client.query(
      `INSERT INTO contacts (campaign_uid, source_row, name, birth_date, procedure, dedupe_key, state,
         first_contacted_at, replied_at, decline_reason)
       SELECT $1, i + 1, 'Paciente ' || lpad(i::text, 7, '0') || ' da Silva',
         date '1940-01-01' + (i % 20000), 'ARTROPLASTIA TOTAL DE JOELHO ' || (i % 50), 'k' || i,
         (ARRAY['confirmed','declined','no_response','sent','failed','no_whatsapp','pending'])[1 + i % 7],
         CASE WHEN i % 7 < 5 THEN now() - interval '3 days' END,
         CASE WHEN i % 7 < 2 THEN now() - interval '2 days' END,
         CASE WHEN i % 7 = 1 THEN 'health-problems' END
       FROM generate_series(1, $2::int) AS i`,
      [uid, n],
    );
    await client.query(
      `INSERT INTO phones (contact_id, campaign_uid, e164, raw, line_type, sendable, priority)
       SELECT c.id, $1, '+55859' || lpad((c.id % 100000000)::text, 8, '0'), 'raw', 'mobile', true, 1
       FROM contacts c WHERE c.campaign_uid = $1`,
      [uid],
    );
    await client.query(
      `INSERT INTO phones (contact_id, campaign_uid, e164, raw, line_type, sendable, priority)
       SELECT c.id, $1, '+558533' || lpad((c.id % 1000000)::text, 6, '0'), 'raw', 'fixed_line', false, 2
       FROM contacts c WHERE c.campaign_uid = $1 AND c.id % 3 = 0`,
      [uid],
    );
    await client.query(
      `INSERT INTO outbox (campaign_uid, contact_id, phone_id, kind, step, state, sent_at, error_class, error_code)
       SELECT $1, c.id, p.id, 'initial', 0, CASE WHEN c.state = 'failed' THEN 'failed' ELSE 'read' END,
         c.first_contacted_at, CASE WHEN c.state = 'failed' THEN 'permanent' END,
         CASE WHEN c.state = 'failed' THEN '131026' END
       FROM contacts c JOIN phones p ON p.contact_id = c.id AND p.priority = 1
       WHERE c.campaign_uid = $1 AND c.state IN ('confirmed','declined','no_response','sent','failed')`,
      [uid],
    );
    await client.query(
      `INSERT INTO inbound_messages (provider, instance, provider_message_id, from_address, phone_id, contact_id,
         campaign_uid, text, received_at, classification, processed_at)
       SELECT 'sandbox', 'bench', 'm' || c.id, 'addr', p.id, c.id, $1, '1', c.replied_at,
         CASE WHEN c.state = 'confirmed' THEN 'confirm' ELSE 'reason' END, c.replied_at
       FROM contacts c JOIN phones p ON p.contact_id = c.id AND p.priority = 1
       WHERE c.campaign_uid = $1 AND c.replied_at IS NOT NULL`,
      [uid],
    );
    await client.query("ANALYZE");
  } finally {
    await client.end();
  }
  return uid;
}

function row(label: string, size: number, r: ChildResult, output: string): string {
  const rate = Math.round(r.rows / r.seconds).toLocaleString("en");
  const mib = (statSync(output).size / 1024 / 1024).toFixed(1);
  return `| ${label} | ${size.toLocaleString("en")} | ${r.seconds.toFixed(1)} | ${rate} | ${r.peakRssMiB.toFixed(0)} | ${r.peakHeapMiB.toFixed(0)} | ${r.peakLiveHeapMiB.toFixed(0)} | ${mib} |`;
}

async function withDatabase<T>(work: (adminUrl: string) => Promise<T>): Promise<T> {
  if (process.env.DATABASE_URL) return work(process.env.DATABASE_URL);
  const { PostgresServer } = await import("../test/harness/postgres.js");
  const server = await PostgresServer.start(mkdtempSync(join(tmpdir(), "bench-export-pg-")));
  try {
    return await work(server.url);
  } finally {
    const keepAlive = setInterval(() => undefined, 1000);
    await server.stop();
    clearInterval(keepAlive);
  }
}

async function main(): Promise<void> {
  const outDir = mkdtempSync(join(tmpdir(), "bench-export-"));
  const lines: string[] = [];
  await withDatabase(async (adminUrl) => {
    const { runMigrations } = await import("../lib/db/migrate.js");
    const name = `bench_${randomUUID().slice(0, 8)}`;
    const admin = new pg.Client({ connectionString: adminUrl });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const url = new URL(adminUrl);
    url.pathname = `/${name}`;
    const databaseUrl = url.toString();
    try {
      await runMigrations(databaseUrl);
      const baseline = await runChild("baseline", databaseUrl, "", "");
      lines.push(
        `| baseline (modules loaded, no export) | | | | ${baseline.peakRssMiB.toFixed(0)} | ${baseline.peakHeapMiB.toFixed(0)} | | |`,
      );
      for (const size of SIZES) {
        const uid = await seed(databaseUrl, size);
        for (const format of FORMATS) {
          const output = join(outDir, `export-${size}.${format}`);
          const r = await runChild(format, databaseUrl, uid, output);
          if (r.rows !== size) throw new Error(`exported ${r.rows} of ${size}`);
          console.log(`${format} ${size}: ${r.seconds.toFixed(1)} s, ${r.peakRssMiB.toFixed(0)} MiB RSS`);
          lines.push(row(format, size, r, output));
          if (size === SIZES[SIZES.length - 1]) {
            // The same export with the heap capped at 48 MiB: it only completes if rows are not retained.
            const capped = await runChild(format, databaseUrl, uid, output, ["--max-old-space-size=48"]);
            lines.push(row(`${format}, heap capped at 48 MiB`, size, capped, output));
          }
        }
      }
    } finally {
      const drop = new pg.Client({ connectionString: adminUrl });
      await drop.connect();
      await drop.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await drop.end();
    }
  });
  const machine = `${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB memory, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(" ")} at the end (shared with other work)`;
  const node = execFileSync(process.execPath, ["--version"]).toString().trim();
  writeFileSync(
    RESULT_FILE,
    [
      "# Export benchmark",
      "",
      "`busca-ativa export`'s code (lib/export: keyset batches of 1,000 contacts in one REPEATABLE READ",
      "transaction, row-by-row CSV or exceljs streaming XLSX) on a completed campaign with mixed states, one or",
      "two phones per contact, first messages and replies. Each export runs in its own process; peak RSS is that",
      "process's maxrss, heap sampled every 20 ms, and the live heap measured after a forced full collection",
      "every second (what the export really holds; the peak heap and RSS also count garbage not yet collected).",
      "",
      "```",
      "npx tsx bench/export.ts",
      "```",
      "",
      `- Date: ${new Date().toISOString()}`,
      `- Machine: ${machine}`,
      `- Node.js ${node}; PostgreSQL from the test harness, on the same machine`,
      "",
      "| format | contacts | seconds | rows/s | peak RSS MiB | peak heap MiB | live heap after GC MiB | file MiB |",
      "| ------ | -------- | ------- | ------ | ------------ | ------------- | ---------------------- | -------- |",
      ...lines,
      "",
    ].join("\n"),
  );
  console.log(`Wrote ${RESULT_FILE}`);
}

if (process.argv[2] === "child") {
  await child(process.argv[3]!, process.argv[4]!, process.argv[5]!, process.argv[6]!);
} else {
  await main();
}
