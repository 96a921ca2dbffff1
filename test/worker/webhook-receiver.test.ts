/**
 * The webhook receiver as the provider meets it (the stack's webhook process on a real port): an
 * authenticated event is stored once and queued once by its message id; a request with no token or a forged
 * one gets 401, a malformed body 400, a body over the limit 413, an unknown route 404 — with nothing stored,
 * nothing queued and the refusal counted in /metrics. /healthz, /readyz and /metrics answer.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Queue } from "bullmq";
import { Redis } from "ioredis";
import { jobIds } from "../../lib/queue/jobs.js";
import { waitFor } from "../harness/wait.js";
import {
  INSTANCE,
  WEBHOOK_TOKEN,
  startLocalStack,
  syntheticList,
  uniqueName,
  type LocalStack,
} from "../e2e/stack.js";
import { metricValue } from "./harness.js";

let stack: LocalStack;
let redis: Redis;
let inboundQueue: Queue;
let base: string;
let route: string;

beforeAll(async () => {
  stack = await startLocalStack({ sandbox: { patients: { enabled: false } } });
  redis = new Redis(stack.redisUrl, { maxRetriesPerRequest: null });
  inboundQueue = new Queue("inbound", { connection: redis, prefix: stack.prefix });
  base = `http://127.0.0.1:${stack.webhook.port}`;
  route = `${base}/webhooks/sandbox/${stack.namespace}/${INSTANCE}`;
  // A campaign sending through the instance is what makes its route exist.
  await stack.createCampaign(uniqueName("rota"), syntheticList(1, 900));
  await waitFor(
    async () => {
      const { rows } = await stack.pool.query("SELECT 1 FROM webhook_routes WHERE channel = $1", [INSTANCE]);
      return rows.length > 0;
    },
    { timeoutMs: 60_000, what: "the campaign's webhook route" },
  );
}, 180_000);

afterAll(async () => {
  await inboundQueue?.close();
  redis?.disconnect();
  await stack?.stop();
});

/** An Evolution `messages.upsert` from a patient, with its own message id. */
function upsert(id: string, text = "SIM"): string {
  return JSON.stringify({
    event: "messages.upsert",
    instance: INSTANCE,
    data: {
      key: { remoteJid: "5585987650001@s.whatsapp.net", fromMe: false, id },
      pushName: "Maria",
      status: "DELIVERY_ACK",
      message: { conversation: text },
      messageType: "conversation",
      messageTimestamp: Math.floor(Date.now() / 1000),
      instanceId: "0b1f3c7e-6a1d-4a43-9d6e-7c1d2f9a1b11",
      source: "android",
    },
    date_time: new Date().toISOString(),
    sender: "558533668000@s.whatsapp.net",
  });
}

async function post(url: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
}

const signed = { "x-webhook-token": WEBHOOK_TOKEN };

/** Rows stored and jobs queued for one provider message id. */
async function traces(id: string): Promise<{ stored: number; queued: boolean }> {
  const { rows } = await stack.pool.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM inbound_messages WHERE provider_message_id = $1",
    [id],
  );
  const job = await inboundQueue.getJob(jobIds.inbound("sandbox", id));
  return { stored: rows[0]!.n, queued: job !== undefined };
}

async function refusals(reason: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  return metricValue(text, "busca_ativa_webhook_refusals_total", { reason });
}

describe("the webhook receiver", () => {
  it("stores and queues an authenticated event once, however often it is delivered", async () => {
    const id = "3EB0AAAA000000000001";
    for (let i = 0; i < 3; i++) {
      const response = await post(route, upsert(id), signed);
      expect(response.status).toBe(200);
    }
    expect(await traces(id)).toEqual({ stored: 1, queued: true });
    const jobs = await inboundQueue.getJobs(["waiting", "active", "completed", "delayed", "failed"]);
    expect(jobs.filter((j) => j.id === jobIds.inbound("sandbox", id))).toHaveLength(1);
  });

  it("refuses a request without the token or with a forged one: 401, nothing stored or queued, counted", async () => {
    const before = { missing: await refusals("missing"), forged: await refusals("bad_signature") };
    const unsigned = await post(route, upsert("3EB0AAAA000000000002"));
    expect(unsigned.status).toBe(401);
    const forged = await post(route, upsert("3EB0AAAA000000000003"), { "x-webhook-token": "not-the-token" });
    expect(forged.status).toBe(401);
    // The right token in the wrong header is no token.
    const misplaced = await post(route, upsert("3EB0AAAA000000000004"), { authorization: WEBHOOK_TOKEN });
    expect(misplaced.status).toBe(401);
    for (const id of ["3EB0AAAA000000000002", "3EB0AAAA000000000003", "3EB0AAAA000000000004"]) {
      expect(await traces(id)).toEqual({ stored: 0, queued: false });
    }
    expect(await refusals("missing")).toBe(before.missing + 2);
    expect(await refusals("bad_signature")).toBe(before.forged + 1);
  });

  it("answers a malformed body with 400, stores nothing and counts it", async () => {
    const before = await refusals("malformed");
    const notJson = await post(route, "{this is not json", signed);
    expect(notJson.status).toBe(400);
    const notEvolution = await post(route, JSON.stringify({ hello: "world" }), signed);
    expect(notEvolution.status).toBe(400);
    expect(await refusals("malformed")).toBe(before + 2);
  });

  it("answers a body over the limit with 413 and counts it", async () => {
    const before = await refusals("too_large");
    const huge = upsert("3EB0AAAA000000000005", "x".repeat(300 * 1024));
    const response = await post(route, huge, signed);
    expect(response.status).toBe(413);
    expect(await traces("3EB0AAAA000000000005")).toEqual({ stored: 0, queued: false });
    expect(await refusals("too_large")).toBe(before + 1);
  });

  it("answers an unknown route or provider with 404 and counts it", async () => {
    const before = await refusals("unknown_route");
    const unknownChannel = await post(
      `${base}/webhooks/sandbox/${stack.namespace}/no-such-instance`,
      upsert("3EB0AAAA000000000006"),
      signed,
    );
    expect(unknownChannel.status).toBe(404);
    const otherNamespace = await post(
      `${base}/webhooks/sandbox/elsewhere/${INSTANCE}`,
      upsert("3EB0AAAA000000000007"),
      signed,
    );
    expect(otherNamespace.status).toBe(404);
    expect(await refusals("unknown_route")).toBe(before + 2);
    const unknownProvider = await post(
      `${base}/webhooks/whatsapp/${stack.namespace}/${INSTANCE}`,
      upsert("3EB0AAAA000000000008"),
      signed,
    );
    expect(unknownProvider.status).toBe(404);
    expect(await refusals("unknown_provider")).toBeGreaterThanOrEqual(1);
    for (const id of ["3EB0AAAA000000000006", "3EB0AAAA000000000007", "3EB0AAAA000000000008"]) {
      expect(await traces(id)).toEqual({ stored: 0, queued: false });
    }
  });

  it("answers /healthz, /readyz and /metrics", async () => {
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const ready = await fetch(`${base}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await fetch(`${base}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toContain("# TYPE busca_ativa_webhook_refusals_total counter");
    expect(
      metricValue(text, "busca_ativa_webhook_events_total", { provider: "sandbox", type: "message" }),
    ).toBeGreaterThanOrEqual(3);
  });
});
