/**
 * Patient-list import benchmark: rows per second and peak memory for generated CSV and XLSX lists of
 * 10,000 and 100,000 rows, parsing and normalising only, then the full import into PostgreSQL.
 *
 *   npx tsx bench/import.ts                 # starts a private PostgreSQL for the import runs
 *   DATABASE_URL=postgres://... npx tsx bench/import.ts   # uses that server (creates and drops databases)
 *   npx tsx bench/import.ts --no-db         # parsing only
 *
 *   npx tsx bench/import.ts --sizes 10000   # a reduced run while iterating (sizes: multiples of 10)
 *
 * Each measurement runs in its own child process, so peak RSS (getrusage maxrss) belongs to that run
 * alone; heap is sampled every 20 ms. The import runs also read the CPU time of the PostgreSQL server
 * from /proc (a server on this machine only). Results go to bench/results/import.md; the hand-written
 * analysis below its marker is kept.
 */
import { execFileSync, spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createReadStream, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { cpus, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { postmasterOf } from "./lib/postgres-cpu.js";
import { treeCpuSeconds } from "./lib/proc.js";
import { loadAverageText, parseArgs, writeResult } from "./lib/report.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DATA_DIR = join(ROOT, "bench", "tmp");
const DEFAULT_SIZES = [10_000, 100_000];
const FORMATS = ["csv", "xlsx"] as const;

interface Measurement {
  format: string;
  rows: number;
  mode: "parse" | "parse-capped" | "import" | "import-capped";
  seconds: number;
  rowsPerSecond: number;
  /** CPU time of the benchmark process (user + system); PostgreSQL's own CPU is not in it. */
  cpuSeconds: number;
  rowsPerCpuSecond: number;
  /** CPU time of the PostgreSQL server during an import run; undefined when it could not be read. */
  postgresCpuSeconds?: number;
  peakRssMiB: number;
  peakHeapMiB: number;
  /** Largest heap still in use right after a full garbage collection (sampled every second; the collections cost a few percent of the time). */
  peakLiveHeapMiB: number;
  accepted: number;
}

async function child(mode: string, format: string, rows: number, file: string): Promise<void> {
  // Modules are loaded before the clock starts: the run measures the work per row, not start-up.
  const { parsePatientRows } = await import("../worker/import/parse-patient-rows.js");
  const { RowTally } = await import("../worker/import/report.js");
  const { createPool } = await import("../lib/db/pool.js");
  const { ensureCampaign } = await import("../lib/db/campaigns.js");
  const { importPatientList } = await import("../worker/import/import-patient-list.js");
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
  let accepted: number;
  let postgresCpu: number | undefined;
  let started: number;
  let cpuStart: NodeJS.CpuUsage;
  if (mode === "parse" || mode === "parse-capped") {
    started = performance.now();
    cpuStart = process.cpuUsage();
    const tally = new RowTally();
    for await (const outcome of parsePatientRows(createReadStream(file))) tally.add(outcome);
    accepted = tally.accepted;
  } else {
    const pool = createPool({ connectionString: process.env.BENCH_DATABASE_URL! });
    const uid = randomUUID();
    await ensureCampaign(pool, { uid, namespace: "bench", name: `bench-${format}-${rows}` });
    const postmaster = await postmasterOf(pool);
    const postgresBefore = postmaster === undefined ? Number.NaN : treeCpuSeconds(postmaster);
    started = performance.now();
    cpuStart = process.cpuUsage();
    const report = await importPatientList({ pool, campaignUid: uid, source: createReadStream(file) });
    accepted = report.rows.accepted;
    if (postmaster !== undefined) {
      const used = treeCpuSeconds(postmaster) - postgresBefore;
      if (Number.isFinite(used)) postgresCpu = used;
    }
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
    ...(postgresCpu === undefined ? {} : { postgresCpuSeconds: postgresCpu }),
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
  const cap = mode.endsWith("-capped") ? [`--max-old-space-size=${CAPPED_HEAP_MIB}`] : [];
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

async function dataFiles(sizes: readonly number[]): Promise<Map<string, string>> {
  const { writeSyntheticCsvFile, writeSyntheticXlsxFile } = await import("../test/patient-lists.js");
  mkdirSync(DATA_DIR, { recursive: true });
  const files = new Map<string, string>();
  for (const rows of sizes) {
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
    "| format | rows | what | wall s | rows/s | CPU s | rows per CPU s | PostgreSQL CPU s | rows per CPU s, both | peak RSS (MiB) | peak heap (MiB) | peak live heap (MiB) |",
    "| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  ];
  for (const r of results) {
    const what = {
      parse: "parse + normalise",
      "parse-capped": `parse + normalise, heap capped at ${CAPPED_HEAP_MIB} MiB`,
      import: "import into PostgreSQL",
      "import-capped": `import into PostgreSQL, heap capped at ${CAPPED_HEAP_MIB} MiB`,
    }[r.mode];
    const pgCpu = r.postgresCpuSeconds;
    const both = pgCpu === undefined ? "" : Math.round(r.rows / (r.cpuSeconds + pgCpu)).toLocaleString("en");
    lines.push(
      `| ${r.format} | ${r.rows.toLocaleString("en")} | ${what} | ${r.seconds.toFixed(2)} | ${Math.round(r.rowsPerSecond).toLocaleString("en")} | ${r.cpuSeconds.toFixed(2)} | ${Math.round(r.rowsPerCpuSecond).toLocaleString("en")} | ${pgCpu === undefined ? "" : pgCpu.toFixed(2)} | ${both} | ${r.peakRssMiB.toFixed(0)} | ${r.peakHeapMiB.toFixed(0)} | ${r.peakLiveHeapMiB.toFixed(0)} |`,
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
  const options = parseArgs(args);
  const withDb = !options.has("no-db");
  const sizes = options.has("sizes") ? options.get("sizes")!.split(",").map(Number) : DEFAULT_SIZES;
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0 || n % 10 !== 0)) {
    throw new Error("--sizes takes row counts that are multiples of 10, e.g. --sizes 10000,100000");
  }
  const loadBefore = loadAverageText();
  const files = await dataFiles(sizes);
  const results: Measurement[] = [];
  for (const format of FORMATS) {
    for (const rows of sizes) {
      const r = await runChild("parse", format, rows, files.get(`${format}-${rows}`)!, process.env);
      console.log(JSON.stringify(r));
      results.push(r);
    }
  }
  for (const format of FORMATS) {
    const rows = sizes[sizes.length - 1]!;
    const r = await runChild("parse-capped", format, rows, files.get(`${format}-${rows}`)!, process.env);
    console.log(JSON.stringify(r));
    results.push(r);
  }
  if (withDb) {
    await withDatabase(async (adminUrl) => {
      const runs: [Measurement["mode"], string, number][] = [
        ...FORMATS.flatMap((format) =>
          sizes.map((rows) => ["import", format, rows] as [Measurement["mode"], string, number]),
        ),
        // The import's memory is flat too: the largest CSV with the heap capped.
        ["import-capped", "csv", sizes[sizes.length - 1]!],
      ];
      for (const [mode, format, rows] of runs) {
        const db = await freshDatabase(adminUrl);
        try {
          const env = { ...process.env, BENCH_DATABASE_URL: db.url };
          const r = await runChild(mode, format, rows, files.get(`${format}-${rows}`)!, env);
          console.log(JSON.stringify(r));
          results.push(r);
        } finally {
          await db.drop();
        }
      }
    });
  }
  const loadAfter = loadAverageText();
  const command = `npx tsx bench/import.ts${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(" ")}` : ""}${process.env.DATABASE_URL ? " (DATABASE_URL set)" : ""}`;
  const fileSizes = sizes
    .map((rows) =>
      FORMATS.map(
        (f) =>
          `${f} ${rows.toLocaleString("en")} rows: ${(statSync(files.get(`${f}-${rows}`)!).size / 1024 / 1024).toFixed(1)} MiB`,
      ).join(", "),
    )
    .join("; ");
  const pgVersion = execFileSync("bash", ["-c", "ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1"])
    .toString()
    .trim();
  const path = writeResult("import", [
    "# Import benchmark",
    "",
    `Command: \`${command}\``,
    "",
    `Date: ${new Date().toISOString()}`,
    "",
    `Machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? "unknown"}), ${(totalmem() / 1024 ** 3).toFixed(1)} GiB memory,`,
    `Node.js ${process.version}, PostgreSQL ${pgVersion || "unknown"} (private test server: fsync off).`,
    `Load average before / after: ${loadBefore} / ${loadAfter} (the machine is shared; numbers move with that load).`,
    "",
    "Data: the synthetic lists of `test/patient-lists.ts` (10 row shapes: phones in several spellings, two",
    "numbers in a cell, old 8-digit mobiles, landlines, a bad DDD, rows without phone or name; 70% accepted).",
    `Files: ${fileSizes}.`,
    "",
    table(results),
    "",
    "- parse + normalise: bytes to one outcome per row (decoding, CSV/XLSX parsing, header aliases, phone",
    "  normalisation, birth dates, procedures), nothing written.",
    "- import into PostgreSQL: the same plus duplicate merging and the writes of contacts, phones and",
    "  rejected rows in one transaction (COPY into temporary tables, one statement per table and batch),",
    "  with the counter triggers.",
    `- heap capped: the JavaScript heap limited to ${CAPPED_HEAP_MIB} MiB (\`--max-old-space-size\`).`,
    "- CPU s: user + system time of the benchmark process, modules already loaded. PostgreSQL CPU s: the",
    "  server's processes (from /proc) during the import; both: the rows per CPU second of the two together.",
    "- Peak live heap: the heap in use right after a full garbage collection (sampled every second and at",
    "  the end). Peak heap and RSS also count garbage not yet collected.",
  ]);
  console.log(readFileSync(path, "utf8"));
}

await main();
