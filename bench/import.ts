/**
 * Patient-list import benchmark: rows per second and peak memory for generated CSV and XLSX lists of
 * 10,000 and 100,000 rows, parsing and normalising only, then the full import into PostgreSQL.
 *
 *   npx tsx bench/import.ts                 # starts a private PostgreSQL for the import runs
 *   DATABASE_URL=postgres://... npx tsx bench/import.ts   # uses that server (creates and drops databases)
 *   npx tsx bench/import.ts --no-db         # parsing only
 *
 * Each measurement runs in its own child process, so peak RSS (getrusage maxrss) belongs to that run
 * alone; heap is sampled every 20 ms. Results go to bench/results/import.md.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import {
  createReadStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { cpus, loadavg, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DATA_DIR = join(ROOT, "bench", "tmp");
const RESULT_FILE = join(ROOT, "bench", "results", "import.md");
const SIZES = [10_000, 100_000];
const FORMATS = ["csv", "xlsx"] as const;

interface Measurement {
  format: string;
  rows: number;
  mode: "parse" | "parse-capped" | "import";
  seconds: number;
  rowsPerSecond: number;
  /** CPU time of the benchmark process (user + system); with the database, PostgreSQL's own CPU is not in it. */
  cpuSeconds: number;
  rowsPerCpuSecond: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  /** Largest heap still in use right after a full garbage collection (sampled every second; the collections cost a few percent of the time). */
  peakLiveHeapMiB: number;
  accepted: number;
}

async function child(mode: string, format: string, rows: number, file: string): Promise<void> {
  const { parsePatientRows } = await import("../worker/import/parse-patient-rows.js");
  const { RowTally } = await import("../worker/import/report.js");
  let peakHeap = 0;
  let peakLiveHeap = 0;
  const gc = (globalThis as { gc?: () => void }).gc;
  const sampler = setInterval(() => {
    peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  }, 20);
  const liveSampler = setInterval(() => {
    gc?.();
    peakLiveHeap = Math.max(peakLiveHeap, process.memoryUsage().heapUsed);
  }, 1000);
  const started = performance.now();
  const cpuStart = process.cpuUsage();
  let accepted: number;
  if (mode === "parse" || mode === "parse-capped") {
    const tally = new RowTally();
    for await (const outcome of parsePatientRows(createReadStream(file))) tally.add(outcome);
    accepted = tally.accepted;
  } else {
    const { createPool } = await import("../lib/db/pool.js");
    const { ensureCampaign } = await import("../lib/db/campaigns.js");
    const { importPatientList } = await import("../worker/import/import-patient-list.js");
    const pool = createPool({ connectionString: process.env.BENCH_DATABASE_URL! });
    const uid = randomUUID();
    await ensureCampaign(pool, { uid, namespace: "bench", name: `bench-${format}-${rows}` });
    const report = await importPatientList({ pool, campaignUid: uid, source: createReadStream(file) });
    accepted = report.rows.accepted;
    await pool.end();
  }
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStart);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  clearInterval(sampler);
  clearInterval(liveSampler);
  gc?.();
  peakLiveHeap = Math.max(peakLiveHeap, process.memoryUsage().heapUsed);
  peakHeap = Math.max(peakHeap, process.memoryUsage().heapUsed);
  const result: Measurement = {
    format,
    rows,
    mode: mode as Measurement["mode"],
    seconds,
    rowsPerSecond: rows / seconds,
    cpuSeconds,
    rowsPerCpuSecond: rows / cpuSeconds,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
    peakHeapMiB: peakHeap / 1024 / 1024,
    peakLiveHeapMiB: peakLiveHeap / 1024 / 1024,
    accepted,
  };
  process.stdout.write(JSON.stringify(result) + "\n");
}

/** Heap limit of the capped runs: a list that needed memory per row could not be read within it. */
const CAPPED_HEAP_MIB = 48;

function runChild(mode: string, format: string, rows: number, file: string, env: NodeJS.ProcessEnv) {
  const cap = mode === "parse-capped" ? [`--max-old-space-size=${CAPPED_HEAP_MIB}`] : [];
  return new Promise<Measurement>((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      [
        ...process.execArgv,
        "--expose-gc",
        ...cap,
        fileURLToPath(import.meta.url),
        "--child",
        mode,
        format,
        String(rows),
        file,
      ],
      {
        env,
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    let out = "";
    proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
    proc.on("exit", (code) => {
      if (code !== 0) reject(new Error(`benchmark child exited with ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").pop()!) as Measurement);
    });
  });
}

async function dataFiles(): Promise<Map<string, string>> {
  const { writeSyntheticCsvFile, writeSyntheticXlsxFile } = await import("../test/patient-lists.js");
  mkdirSync(DATA_DIR, { recursive: true });
  const files = new Map<string, string>();
  for (const rows of SIZES) {
    for (const format of FORMATS) {
      const file = join(DATA_DIR, `patients-${rows}.${format}`);
      if (!existsSync(file)) {
        if (format === "csv") await writeSyntheticCsvFile(file, rows);
        else await writeSyntheticXlsxFile(file, rows);
      }
      files.set(`${format}-${rows}`, file);
    }
  }
  return files;
}

async function withDatabase<T>(work: (adminUrl: string) => Promise<T>): Promise<T> {
  if (process.env.DATABASE_URL) return work(process.env.DATABASE_URL);
  const { PostgresServer } = await import("../test/harness/postgres.js");
  const server = await PostgresServer.start(mkdtempSync(join(tmpdir(), "bench-import-pg-")));
  try {
    return await work(server.url);
  } finally {
    // The server's process handle is unref'd: keep this process alive until it has exited.
    const keepAlive = setInterval(() => undefined, 1000);
    await server.stop();
    clearInterval(keepAlive);
  }
}

async function freshDatabase(adminUrl: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const { runMigrations } = await import("../lib/db/migrate.js");
  const name = `bench_${randomUUID().slice(0, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  await runMigrations(url.toString());
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

function table(results: Measurement[]): string {
  const lines = [
    "| format | rows | what | wall s | rows/s | CPU s | rows per CPU s | peak RSS (MiB) | peak heap (MiB) | peak live heap (MiB) |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const what =
      r.mode === "parse"
        ? "parse + normalise"
        : r.mode === "parse-capped"
          ? `parse + normalise, heap capped at ${CAPPED_HEAP_MIB} MiB`
          : "import into PostgreSQL";
    lines.push(
      `| ${r.format} | ${r.rows.toLocaleString("en")} | ${what} | ${r.seconds.toFixed(2)} | ${Math.round(r.rowsPerSecond).toLocaleString("en")} | ${r.cpuSeconds.toFixed(2)} | ${Math.round(r.rowsPerCpuSecond).toLocaleString("en")} | ${r.peakRssMiB.toFixed(0)} | ${r.peakHeapMiB.toFixed(0)} | ${r.peakLiveHeapMiB.toFixed(0)} |`,
    );
  }
  return lines.join("\n");
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] === "--child") {
    await child(args[1]!, args[2]!, Number(args[3]), args[4]!);
    return;
  }
  const withDb = !args.includes("--no-db");
  const loadBefore = loadavg()
    .map((l) => l.toFixed(1))
    .join(", ");
  const files = await dataFiles();
  const results: Measurement[] = [];
  for (const format of FORMATS) {
    for (const rows of SIZES) {
      const r = await runChild("parse", format, rows, files.get(`${format}-${rows}`)!, process.env);
      console.log(JSON.stringify(r));
      results.push(r);
    }
  }
  for (const format of FORMATS) {
    const rows = SIZES[SIZES.length - 1]!;
    const r = await runChild("parse-capped", format, rows, files.get(`${format}-${rows}`)!, process.env);
    console.log(JSON.stringify(r));
    results.push(r);
  }
  if (withDb) {
    await withDatabase(async (adminUrl) => {
      for (const format of FORMATS) {
        for (const rows of SIZES) {
          const db = await freshDatabase(adminUrl);
          try {
            const env = { ...process.env, BENCH_DATABASE_URL: db.url };
            const r = await runChild("import", format, rows, files.get(`${format}-${rows}`)!, env);
            console.log(JSON.stringify(r));
            results.push(r);
          } finally {
            await db.drop();
          }
        }
      }
    });
  }
  const loadAfter = loadavg()
    .map((l) => l.toFixed(1))
    .join(", ");
  const command = `npx tsx bench/import.ts${withDb ? "" : " --no-db"}${process.env.DATABASE_URL ? " (DATABASE_URL set)" : ""}`;
  const sizes = SIZES.map((rows) =>
    FORMATS.map(
      (f) =>
        `${f} ${rows.toLocaleString("en")} rows: ${(statSync(files.get(`${f}-${rows}`)!).size / 1024 / 1024).toFixed(1)} MiB`,
    ).join(", "),
  ).join("; ");
  const pgVersion = execFileSync("bash", ["-c", "ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1"])
    .toString()
    .trim();
  const markdown = `# Import benchmark

Command: \`${command}\`

Date: ${new Date().toISOString()}

Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB memory,
Node.js ${process.version}, PostgreSQL ${pgVersion || "unknown"} (private test server: fsync off).
Load average before / after: ${loadBefore} / ${loadAfter} (the machine is shared; numbers move with that load).

Data: the synthetic lists of \`test/patient-lists.ts\` (10 row shapes: phones in several spellings, two
numbers in a cell, old 8-digit mobiles, landlines, a bad DDD, rows without phone or name; 70% accepted).
Files: ${sizes}.

${table(results)}

- "parse + normalise": bytes to one outcome per row (decoding, CSV/XLSX parsing, header aliases, phone
  normalisation with libphonenumber-js/max, birth dates, procedures), nothing written.
- "import into PostgreSQL": the same plus duplicate merging and the batched writes of contacts, phones and
  rejected rows in one transaction, with the counter triggers.
- Memory: each run is its own process. "Peak live heap" is the heap in use right after a full garbage
  collection (sampled every second and at the end): it is what the import really holds, and it is the same
  for 10,000 and 100,000 rows in both formats. "Peak heap" and RSS also count garbage not yet collected: V8
  lets the heap grow while memory is free, so they rise with the length of the run. The capped runs read
  100,000 rows with the JavaScript heap limited to ${CAPPED_HEAP_MIB} MiB (the 100,000-row CSV alone is 8.6 MiB
  of text; kept as JavaScript rows it would be several times that). XLSX: the shared strings (every distinct text) go to a temporary file, and exceljs parks
  the sheet XML in temporary files while it reads the archive, so disk use, not memory, grows with the file.
- Speed: "rows per CPU s" (user + system time of the benchmark process) shows the work per row independently
  of the other processes on the machine; the import runs do not count PostgreSQL's own CPU.
`;
  mkdirSync(join(ROOT, "bench", "results"), { recursive: true });
  writeFileSync(RESULT_FILE, markdown);
  console.log(readFileSync(RESULT_FILE, "utf8"));
}

await main();
