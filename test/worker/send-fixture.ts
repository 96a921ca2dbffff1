/**
 * What the tests that call the send processor directly share: a fresh database with a campaign of `contacts`
 * ready contacts, a sandbox with one Evolution instance, a sender limiter in Redis under its own prefix, and
 * the send dependencies (one worker, "worker-a"; a generous rate limit; no recipient gap, no typing).
 */
import pg from "pg";
import { Redis } from "ioredis";
import { freshMigratedDatabase, insertFirstMessage, seedCampaign, type SeededCampaign } from "../db.js";
import { redisPrefix, testEnv } from "../harness/fixtures.js";
import { startSandbox, type SandboxHandle } from "../sandbox/index.js";
import { createLogger } from "../../lib/logger.js";
import type { WindowSpec } from "../../lib/pacing/window.js";
import { createProvider } from "../../worker/providers/factory.js";
import { SenderLimiter } from "../../worker/ratelimit/sender-limiter.js";
import { OutboxBatches } from "../../worker/send/outbox-batches.js";
import type { SendDeps } from "../../worker/send/send-processor.js";

export const SENDER_KEY = "sandbox/test/hospital";

export interface SendFixture {
  pool: pg.Pool;
  redis: Redis;
  sandbox: SandboxHandle;
  campaign: SeededCampaign;
  /** The limiter's Redis key prefix. */
  prefix: string;
  deps: SendDeps;
  /** A pending first message to the `index`-th contact; returns its outbox id. */
  firstMessage(index: number): Promise<number>;
  close(): Promise<void>;
}

export async function startSendFixture(options: {
  contacts: number;
  /** Names the Redis prefix. */
  name: string;
  sendWindow?: WindowSpec;
}): Promise<SendFixture> {
  const db = await freshMigratedDatabase();
  const pool = new pg.Pool({ connectionString: db.value, max: 4 });
  const campaign = await seedCampaign(pool, { contacts: options.contacts });
  await pool.query("UPDATE contacts SET state = 'ready' WHERE campaign_uid = $1", [campaign.uid]);
  const redis = new Redis(testEnv().redisUrl);
  const sandbox = await startSandbox({
    evolution: { instances: [{ name: "hospital" }] },
    patients: { enabled: false },
  });
  const provider = createProvider({
    type: "sandbox",
    instance: "hospital",
    credentials: { baseUrl: sandbox.url, apiKey: sandbox.config.evolution.apiKey, webhookToken: "t" },
  });
  const prefix = redisPrefix(options.name);
  const deps: SendDeps = {
    pool,
    outbox: new OutboxBatches({ pool, workerId: "worker-a" }),
    limiter: new SenderLimiter({ redis, prefix }),
    workerId: "worker-a",
    logger: createLogger({ component: "test", level: "silent" }),
    senders: {
      forCampaign: async () => ({
        provider,
        senderKey: SENDER_KEY,
        rateLimit: { perSecond: 1000, burst: 50 },
        recipientGapMs: 0,
        typingWarmupMs: 0,
        sendWindow: options.sendWindow,
      }),
    },
  };
  return {
    pool,
    redis,
    sandbox,
    campaign,
    prefix,
    deps,
    firstMessage: (index) => insertFirstMessage(pool, campaign, index),
    close: async () => {
      await sandbox.close();
      redis.disconnect();
      await pool.end();
      await db.dispose();
    },
  };
}
