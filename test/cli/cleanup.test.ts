/**
 * `busca-ativa cleanup` end to end: a real subprocess against a seeded PostgreSQL database and real Redis
 * queues, checking that it removes and anonymises what the policy says, and nothing else.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCampaignCounts } from "../../lib/db/campaign-counts.js";
import { createPool } from "../../lib/db/pool.js";
import { freshMigratedDatabase } from "../db.js";
import { redisPrefix, testEnv, type Disposable } from "../harness/fixtures.js";
import { waitFor } from "../harness/wait.js";
import { endPool } from "./db.js";
import { runCli } from "./run-cli.js";
import { seedCampaignResults, type SeededResults } from "./seed.js";

let database: Disposable<string>;
let pool: pg.Pool;
let redis: Redis;
const prefix = redisPrefix("cleanup");
const seeded: Record<string, SeededResults> = {};
// Numbers as their digit runs longer than a timestamp's fraction ("98760" alone turned up in microseconds).
const PATIENT_TEXT =
  /Maria Confirmada|José Recusou|Ana Motivo|Pedro Silencioso|Rita Falhou|Lia Pendente|Caio Fixo|HYPERLINK|mudei de cidade|859876|85336[0-9]000|Rejeitado da Silva|5585000000000|s\.whatsapp\.net|Mensagem com o nome/;

beforeAll(async () => {
  database = await freshMigratedDatabase();
  pool = createPool({ connectionString: database.value, max: 2 });
  redis = new Redis(testEnv().redisUrl, { maxRetriesPerRequest: null });
  const ns = "hospital";
  seeded.old = await seedCampaignResults(pool, {
    namespace: ns,
    name: "antiga",
    finishedDaysAgo: 400,
    series: 0,
  });
  seeded.oldCancelled = await seedCampaignResults(pool, {
    namespace: ns,
    name: "cancelada",
    state: "cancelled",
    finishedDaysAgo: 366,
    series: 3,
  });
  seeded.recent = await seedCampaignResults(pool, {
    namespace: ns,
    name: "recente",
    finishedDaysAgo: 10,
    series: 1,
  });
  seeded.active = await seedCampaignResults(pool, {
    namespace: ns,
    name: "ativa",
    state: "active",
    series: 2,
    listRef: "lista-ativa",
  });
  await pool.query(
    `INSERT INTO outbound_echoes (provider, channel, provider_message_id, to_address, at, received_at) VALUES
       ('sandbox', 'central', 'echo-old', 'addr', now() - interval '40 days', now() - interval '40 days'),
       ('sandbox', 'central', 'echo-new', 'addr', now(), now())`,
  );
  await pool.query(
    `INSERT INTO delivery_events (provider, provider_message_id, status, occurred_at, received_at) VALUES
       ('sandbox', 'event-old', 'delivered', now() - interval '40 days', now() - interval '40 days'),
       ('sandbox', 'event-new', 'delivered', now(), now())`,
  );
  await pool.query(
    `INSERT INTO inbound_messages (provider, instance, provider_message_id, from_address, text, received_at) VALUES
       ('sandbox', 'central', 'in-old', 'stranger', 'quem é?', now() - interval '400 days'),
       ('sandbox', 'central', 'in-new', 'stranger', 'quem é?', now())`,
  );
  await pool.query(
    `INSERT INTO patient_lists (namespace, name, format, content, checksum, imported_at) VALUES
       ('hospital', 'velha', 'csv', 'x', 'a', now() - interval '400 days'),
       ('hospital', 'lista-ativa', 'csv', 'x', 'b', now() - interval '400 days'),
       ('hospital', 'nova', 'csv', 'x', 'c', now())`,
  );
  await finishedJobs();
});

afterAll(async () => {
  redis?.disconnect();
  if (pool) await endPool(pool, database.value);
  await database?.dispose();
});

/** Three finished jobs in the status queue (keeps completed 10 min, failed 14 days): two made old. */
async function finishedJobs(): Promise<void> {
  const queue = new Queue("status", { connection: redis, prefix });
  await queue.add("status", { n: 1 }, { jobId: "done-old" });
  await queue.add("status", { n: 2 }, { jobId: "done-new" });
  await queue.add("status", { n: 3, fail: true }, { jobId: "failed-old", attempts: 1 });
  const worker = new Worker(
    "status",
    async (job) => {
      if (job.data.fail) throw new Error("refused");
    },
    { connection: redis.duplicate(), prefix },
  );
  await waitFor(async () => (await queue.getCompletedCount()) === 2 && (await queue.getFailedCount()) === 1, {
    timeoutMs: 30_000,
    what: "the test jobs to finish",
  });
  await worker.close();
  const longAgo = String(Date.now() - 30 * 86_400_000);
  await redis.zadd(queue.toKey("completed"), "XX", longAgo, "done-old");
  await redis.zadd(queue.toKey("failed"), "XX", longAgo, "failed-old");
  await queue.close();
}

const env = () => ({
  DATABASE_URL: database.value,
  REDIS_URL: testEnv().redisUrl,
  QUEUE_PREFIX: prefix,
  CLEANUP_EVENTS_MAX_LENGTH: "2",
});

/** Every row of the campaign's patient tables, as text. */
async function campaignRowsText(uid: string): Promise<string> {
  const parts: string[] = [];
  for (const table of ["contacts", "phones", "inbound_messages", "outbox", "import_rejections"]) {
    const { rows } = await pool.query(
      `SELECT row_to_json(t)::text AS row FROM ${table} t WHERE campaign_uid = $1`,
      [uid],
    );
    parts.push(...rows.map((r: { row: string }) => r.row));
  }
  return parts.join("\n");
}

async function count(sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await pool.query<Record<string, unknown>>(sql, params);
  return Number(Object.values(rows[0] ?? {})[0] ?? 0);
}

describe("busca-ativa cleanup", { timeout: 180_000 }, () => {
  it("--dry-run counts what a cleanup would do and changes nothing", async () => {
    const result = await runCli(["cleanup", "--dry-run", "--json"], { env: env() });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as {
      dryRun: boolean;
      queues: { queue: string; completed: number; failed: number; events: number }[];
      database: { campaigns: { name: string; contacts: number }[] } & Record<string, unknown>;
    };
    expect(out.dryRun).toBe(true);
    expect(out.queues.find((q) => q.queue === "status")).toMatchObject({ completed: 1, failed: 1 });
    expect(out.queues.find((q) => q.queue === "status")!.events).toBeGreaterThan(0);
    expect(out.database).toMatchObject({
      outboundEchoes: 1,
      deliveryEvents: 1,
      unmatchedInboundMessages: 1,
      patientLists: 1,
    });
    expect(out.database.campaigns.map((c) => [c.name, c.contacts])).toEqual([
      ["antiga", 8],
      ["cancelada", 8],
    ]);
    expect(await campaignRowsText(seeded.old!.uid)).toMatch(/Maria Confirmada/);
    expect(await count("SELECT count(*) FROM outbound_echoes")).toBe(2);
    expect(await redis.zcard(`${prefix}:status:completed`)).toBe(2);
  });

  it("removes old jobs and records, anonymises campaigns finished past the retention, and keeps the rest", async () => {
    const before = await readCampaignCounts(pool, seeded.old!.uid);
    const statesBefore = await pool.query(
      "SELECT id, state, decline_reason FROM contacts WHERE campaign_uid = $1 ORDER BY id",
      [seeded.old!.uid],
    );

    const result = await runCli(["cleanup"], { env: env() });
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Cleanup done.");
    expect(result.stdout).toContain("queue status: removed 1 completed and 1 failed jobs");
    expect(result.stdout).toContain("Anonymised hospital/antiga (completed");
    expect(result.stdout).toContain("Anonymised hospital/cancelada (cancelled");
    expect(result.stdout).not.toMatch(PATIENT_TEXT);

    for (const key of ["old", "oldCancelled"]) {
      const uid = seeded[key]!.uid;
      const text = await campaignRowsText(uid);
      expect(text.split("\n").filter((row) => PATIENT_TEXT.test(row))).toEqual([]);
      expect(
        await count("SELECT count(*) FROM contacts WHERE campaign_uid = $1 AND name <> 'Anonimizado'", [uid]),
      ).toBe(0);
      expect(
        await count("SELECT count(*) FROM phones WHERE campaign_uid = $1 AND e164 NOT LIKE '+999%'", [uid]),
      ).toBe(0);
      expect(
        await count(
          "SELECT count(*) FROM audit_log WHERE campaign_uid = $1 AND actor = 'cleanup' AND reason LIKE 'retention:%'",
          [uid],
        ),
      ).toBe(1);
    }
    // States, decline reason codes and the campaign's counts are kept.
    const statesAfter = await pool.query(
      "SELECT id, state, decline_reason FROM contacts WHERE campaign_uid = $1 ORDER BY id",
      [seeded.old!.uid],
    );
    expect(statesAfter.rows).toEqual(statesBefore.rows);
    expect(await readCampaignCounts(pool, seeded.old!.uid)).toEqual(before);
    expect(await count("SELECT count(*) FROM campaigns")).toBe(4);

    // Recent and active campaigns keep their patient data.
    expect(await campaignRowsText(seeded.recent!.uid)).toMatch(/Maria Confirmada/);
    expect(await campaignRowsText(seeded.active!.uid)).toMatch(/Maria Confirmada/);

    expect((await pool.query("SELECT provider_message_id FROM outbound_echoes")).rows).toEqual([
      { provider_message_id: "echo-new" },
    ]);
    expect((await pool.query("SELECT provider_message_id FROM delivery_events")).rows).toEqual([
      { provider_message_id: "event-new" },
    ]);
    expect(await count("SELECT count(*) FROM inbound_messages WHERE provider_message_id = 'in-old'")).toBe(0);
    expect(await count("SELECT count(*) FROM inbound_messages WHERE provider_message_id = 'in-new'")).toBe(1);
    expect(
      (await pool.query("SELECT name FROM patient_lists ORDER BY name")).rows.map((r) => r.name),
    ).toEqual(["lista-ativa", "nova"]);
    expect(await count("SELECT count(*) FROM opt_outs")).toBe(0);

    expect(await redis.zrange(`${prefix}:status:completed`, 0, -1)).toEqual(["done-new"]);
    expect(await redis.zcard(`${prefix}:status:failed`)).toBe(0);
    expect(await redis.exists(`${prefix}:status:done-old`)).toBe(0);
    expect(await redis.exists(`${prefix}:status:done-new`)).toBe(1);
    expect(await redis.xlen(`${prefix}:status:events`)).toBeLessThanOrEqual(2);
  });

  it("a second run finds nothing more to anonymise, and the anonymised campaign still exports", async () => {
    const result = await runCli(["cleanup", "--json"], { env: env() });
    expect(result.code).toBe(0);
    const out = JSON.parse(result.stdout) as { database: { campaigns: unknown[]; outboundEchoes: number } };
    expect(out.database.campaigns).toEqual([]);
    expect(out.database.outboundEchoes).toBe(0);

    const output = join(mkdtempSync(join(tmpdir(), "cli-cleanup-")), "antiga.csv");
    const exported = await runCli(["export", "antiga", "-n", "hospital", "--format", "csv", "-o", output], {
      env: env(),
    });
    expect(exported.code).toBe(0);
    const csv = readFileSync(output, "utf8");
    expect(csv.match(/Anonimizado/g)).toHaveLength(8);
    expect(csv).not.toMatch(PATIENT_TEXT);
    expect(csv).toContain("Problemas de saúde");
  });

  it("needs REDIS_URL and DATABASE_URL (exit 2)", async () => {
    const result = await runCli(["cleanup"], { env: { DATABASE_URL: database.value } });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("REDIS_URL");
  });
});
