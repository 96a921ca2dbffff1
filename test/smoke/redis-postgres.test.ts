/** Proves Redis and PostgreSQL are real servers: a BullMQ job round trip, a transaction rolled back and committed. */
import { describe, expect, it } from "vitest";
import { Queue, Worker, QueueEvents } from "bullmq";
import { Redis } from "ioredis";
import pg from "pg";
import { freshDatabase, redisPrefix, testEnv } from "../harness/fixtures.js";

describe("the test Redis", () => {
  it("runs with noeviction and AOF, as BullMQ requires", async () => {
    const redis = new Redis(testEnv().redisUrl);
    try {
      expect(await redis.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "noeviction"]);
      expect(await redis.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
    } finally {
      redis.disconnect();
    }
  });

  it("carries a BullMQ job from a queue to a worker and back", async () => {
    const connection = { url: testEnv().redisUrl, maxRetriesPerRequest: null };
    const prefix = redisPrefix("smoke");
    const queue = new Queue("smoke", { connection, prefix });
    const events = new QueueEvents("smoke", { connection, prefix });
    const worker = new Worker("smoke", async (job) => (job.data as { n: number }).n * 2, {
      connection,
      prefix,
    });
    try {
      await events.waitUntilReady();
      const job = await queue.add("double", { n: 21 });
      expect(await job.waitUntilFinished(events, 10_000)).toBe(42);
    } finally {
      await worker.close();
      await events.close();
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});

describe("the test PostgreSQL", () => {
  it("rolls a transaction back and commits another", async () => {
    const { value: url } = await freshDatabase();
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query("CREATE TABLE notes (id serial PRIMARY KEY, body text NOT NULL)");
      await client.query("BEGIN");
      await client.query("INSERT INTO notes (body) VALUES ('discarded')");
      await client.query("ROLLBACK");
      await client.query("BEGIN");
      await client.query("INSERT INTO notes (body) VALUES ('kept')");
      await client.query("COMMIT");
      const { rows } = await client.query<{ body: string }>("SELECT body FROM notes ORDER BY id");
      expect(rows.map((r) => r.body)).toEqual(["kept"]);
    } finally {
      await client.end();
    }
  });

  it("gives each test its own database", async () => {
    const a = await freshDatabase();
    const b = await freshDatabase();
    expect(new URL(a.value).pathname).not.toBe(new URL(b.value).pathname);
  });
});
