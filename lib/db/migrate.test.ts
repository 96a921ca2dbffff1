import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { runner } from "node-pg-migrate";
import pg from "pg";
import { afterEach, describe, expect, it } from "vitest";
import { freshDatabase } from "../../test/harness/fixtures.js";
import { REPO_ROOT } from "../../test/harness/tools.js";
import { MIGRATIONS_DIR, MIGRATIONS_TABLE, runMigrations } from "./migrate.js";
import {
  CAMPAIGN_STATES,
  CONTACT_STATES,
  DELIVERY_STATUSES,
  OUTBOX_ERROR_CLASSES,
  OUTBOX_KINDS,
  OUTBOX_STATES,
  WA_STATUSES,
} from "./states.js";

const run = promisify(execFile);

const MIGRATION_FILES = readdirSync(MIGRATIONS_DIR)
  .filter((f) => /^\d+_.*\.ts$/.test(f) && !f.endsWith(".test.ts"))
  .map((f) => f.replace(/\.ts$/, ""))
  .sort();

async function tables(url: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>(
      "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
    );
    return rows.map((r) => r.table_name);
  } finally {
    await client.end();
  }
}

/** The tables of the first migrations; later migrations add more. */
const CORE_TABLES = [
  "audit_log",
  "campaign_count_deltas",
  "campaign_counts",
  "campaign_daily_sends",
  "campaigns",
  "contacts",
  "delivery_events",
  "import_rejections",
  "imports",
  "inbound_messages",
  "opt_outs",
  "outbox",
  "pgmigrations",
  "phones",
];

describe("runMigrations", () => {
  it("applies every migration once and then nothing", async () => {
    const db = await freshDatabase();
    const first = await runMigrations(db.value);
    expect(first.applied).toEqual(MIGRATION_FILES);
    expect(await tables(db.value)).toEqual(expect.arrayContaining(CORE_TABLES));
    const second = await runMigrations(db.value);
    expect(second.applied).toEqual([]);
  });

  it("lets two runs start at once: one applies, the other waits and finds nothing to do", async () => {
    const db = await freshDatabase();
    const results = await Promise.all([runMigrations(db.value), runMigrations(db.value)]);
    const applied = results.flatMap((r) => r.applied).sort();
    expect(applied).toEqual(MIGRATION_FILES);
    expect(await tables(db.value)).toEqual(expect.arrayContaining(CORE_TABLES));
  });

  it("can be rolled all the way down and up again", async () => {
    const db = await freshDatabase();
    await runMigrations(db.value);
    await runner({
      databaseUrl: db.value,
      dir: MIGRATIONS_DIR,
      ignorePattern: "(\\..*|.*\\.test\\.ts)",
      migrationsTable: MIGRATIONS_TABLE,
      direction: "down",
      count: Infinity,
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
    });
    expect(await tables(db.value)).toEqual(["pgmigrations"]);
    expect((await runMigrations(db.value)).applied).toEqual(MIGRATION_FILES);
  });

  it("has CHECK constraints that allow exactly the states the code knows", async () => {
    const db = await freshDatabase();
    await runMigrations(db.value);
    const client = new pg.Client({ connectionString: db.value });
    await client.connect();
    try {
      const allowed = async (constraint: string) => {
        const { rows } = await client.query<{ def: string }>(
          "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = $1",
          [constraint],
        );
        return [...(rows[0]?.def ?? "").matchAll(/'([a-z_]+)'::text/g)].map((m) => m[1]);
      };
      expect(await allowed("campaigns_state_check")).toEqual([...CAMPAIGN_STATES]);
      expect(await allowed("contacts_state_check")).toEqual([...CONTACT_STATES]);
      expect(await allowed("phones_wa_status_check")).toEqual([...WA_STATUSES]);
      expect(await allowed("outbox_kind_check")).toEqual([...OUTBOX_KINDS]);
      expect(await allowed("outbox_state_check")).toEqual([...OUTBOX_STATES]);
      expect(await allowed("outbox_error_class_check")).toEqual([...OUTBOX_ERROR_CLASSES]);
      expect(await allowed("delivery_events_status_check")).toEqual([...DELIVERY_STATUSES]);
    } finally {
      await client.end();
    }
  });
});

describe("runMigrations from a compiled build", () => {
  let outDir: string | undefined;
  afterEach(() => {
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it("finds the compiled .js migrations next to the compiled module", async () => {
    outDir = mkdtempSync(join(tmpdir(), "busca-ativa-migrate-build-"));
    const tsc = join(REPO_ROOT, "node_modules", "typescript", "bin", "tsc");
    const sources = ["lib/db/migrate.ts", ...MIGRATION_FILES.map((f) => `lib/db/migrations/${f}.ts`)];
    await run(
      process.execPath,
      [
        tsc,
        "--outDir",
        outDir,
        "--rootDir",
        REPO_ROOT,
        "--module",
        "nodenext",
        "--moduleResolution",
        "nodenext",
        "--target",
        "es2024",
        "--types",
        "node",
        "--skipLibCheck",
        "--sourceMap",
        ...sources,
      ],
      { cwd: REPO_ROOT },
    );
    symlinkSync(join(REPO_ROOT, "node_modules"), join(outDir, "node_modules"));
    writeFileSync(join(outDir, "package.json"), JSON.stringify({ type: "module" }));
    const db = await freshDatabase();
    const script = `
      const { runMigrations } = await import(${JSON.stringify(join(outDir, "lib/db/migrate.js"))});
      console.log(JSON.stringify(await runMigrations(process.env.DATABASE_URL)));
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", script], {
      cwd: outDir,
      env: { ...process.env, DATABASE_URL: db.value },
    });
    expect(JSON.parse(stdout)).toEqual({ applied: MIGRATION_FILES });
    expect(await tables(db.value)).toEqual(expect.arrayContaining(CORE_TABLES));
  });
});
