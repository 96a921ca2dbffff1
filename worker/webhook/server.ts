/**
 * The webhook receiver: one route per provider and channel in a namespace,
 * `POST /webhooks/<provider>/<namespace>/<channel>` (Evolution's per-event suffixes accepted), plus Meta's
 * `GET` subscription handshake. Each request is authenticated over its exact bytes, its events stored
 * idempotently in PostgreSQL and queued by id, and answered at once. Refusals (4xx) store and queue
 * nothing and are counted by reason. `/healthz`, `/readyz` and `/metrics` are on the same port.
 */
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import type { Pool } from "pg";
import type { Registry } from "prom-client";
import { Counter, Histogram } from "prom-client";
import type { Logger } from "../../lib/logger.js";
import { jobIds } from "../../lib/queue/jobs.js";
import type { JobProducer } from "../../lib/queue/producer.js";
import { withTransaction } from "../../lib/db/pool.js";
import { MalformedWebhookError, ProviderError } from "../providers/provider-error.js";
import { storeEvent, type RouteKey, type StoredEvent } from "./event-store.js";
import type { RouteProviders } from "./route-providers.js";

export const PROVIDER_ROUTES = ["evolution", "meta-cloud", "sandbox"] as const;

export interface WebhookServerOptions {
  pool: Pool;
  producer: JobProducer;
  routes: RouteProviders;
  logger: Logger;
  registry: Registry;
  /** Largest body accepted; default 256 KiB. */
  bodyLimitBytes?: number;
  /** Extra readiness checks (e.g. Redis reachable). */
  ready?: () => Promise<boolean>;
}

export function buildWebhookServer(options: WebhookServerOptions): FastifyInstance {
  const app = Fastify({ logger: false, bodyLimit: options.bodyLimitBytes ?? 256 * 1024 });
  const refusals = new Counter({
    name: "busca_ativa_webhook_refusals_total",
    help: "Webhook requests refused, by provider and reason",
    labelNames: ["provider", "reason"],
    registers: [options.registry],
  });
  const accepted = new Counter({
    name: "busca_ativa_webhook_events_total",
    help: "Webhook events stored, by provider and type",
    labelNames: ["provider", "type"],
    registers: [options.registry],
  });
  const latency = new Histogram({
    name: "busca_ativa_webhook_request_seconds",
    help: "Time to answer a webhook request",
    labelNames: ["provider", "code"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [options.registry],
  });

  // Every body is kept as raw bytes: signatures are over the exact bytes, never re-serialised JSON.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser("*", { parseAs: "buffer" }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: { statusCode?: number; code?: string }, req, reply) => {
    const provider = (req.params as { provider?: string } | undefined)?.provider ?? "unknown";
    if (err.statusCode === 413 || err.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      refusals.inc({ provider, reason: "too_large" });
      return reply.code(413).send({ error: "body too large" });
    }
    options.logger.error({ code: err.code }, "The webhook receiver failed on a request");
    return reply.code(500).send({ error: "internal error" });
  });

  const refuse = (reply: FastifyReply, provider: string, status: number, reason: string, detail: string) => {
    refusals.inc({ provider, reason });
    return reply.code(status).send({ error: detail });
  };

  app.get<{ Params: { provider: string; namespace: string; channel: string } }>(
    "/webhooks/:provider/:namespace/:channel",
    async (req, reply) => {
      const route = routeOf(req.params);
      const provider = await options.routes.get(route);
      if (!provider?.handshake)
        return refuse(reply, route.provider, 404, "unknown_route", "no such webhook route");
      const result = provider.handshake(new URLSearchParams(req.query as Record<string, string>));
      if (result.status !== 200) refusals.inc({ provider: route.provider, reason: "handshake" });
      return reply.code(result.status).type("text/plain").send(result.body);
    },
  );

  const receive = async (
    req: {
      params: { provider: string; namespace: string; channel: string };
      headers: Record<string, string | string[] | undefined>;
      body: unknown;
      query: unknown;
    },
    reply: FastifyReply,
  ) => {
    const started = performance.now();
    const route = routeOf(req.params);
    const finish = (code: number) =>
      latency.observe({ provider: route.provider, code: String(code) }, (performance.now() - started) / 1000);
    if (!(PROVIDER_ROUTES as readonly string[]).includes(route.provider)) {
      finish(404);
      return refuse(reply, "unknown", 404, "unknown_provider", "unknown provider");
    }
    const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    const provider = await options.routes.get(route);
    if (!provider) {
      finish(404);
      return refuse(reply, route.provider, 404, "unknown_route", "no campaign sends through this route");
    }
    const verdict = await provider.verifyWebhook(
      req.headers,
      raw,
      new URLSearchParams(req.query as Record<string, string>),
    );
    if (!verdict.ok) {
      finish(401);
      return refuse(reply, route.provider, 401, verdict.reason, "unauthenticated");
    }
    let events;
    try {
      events = provider.parseWebhook(raw);
    } catch (err) {
      if (err instanceof ProviderError || err instanceof MalformedWebhookError) {
        finish(400);
        return refuse(reply, route.provider, 400, "malformed", "malformed body");
      }
      throw err;
    }
    // One event (nearly every Evolution body): its statement on its own, autocommitted, no BEGIN/COMMIT
    // round trips. Several (Meta batches statuses): one transaction, one commit for them all.
    const stored: StoredEvent[] =
      events.length === 1
        ? [await storeEvent(options.pool, route, events[0]!)]
        : await withTransaction(options.pool, async (client) => {
            const out: StoredEvent[] = [];
            for (const event of events) out.push(await storeEvent(client, route, event));
            return out;
          });
    for (const event of events) accepted.inc({ provider: route.provider, type: event.type });
    await enqueueStored(options.producer, route, stored);
    finish(200);
    return reply.code(200).send({ ok: true, events: events.length });
  };
  app.post("/webhooks/:provider/:namespace/:channel", receive as never);
  app.post("/webhooks/:provider/:namespace/:channel/:event", receive as never);

  app.get("/healthz", async () => ({ ok: true }));
  app.get("/readyz", async (_req, reply) => {
    const ok = (await options.ready?.().catch(() => false)) ?? true;
    return reply.code(ok ? 200 : 503).send({ ok });
  });
  app.get("/metrics", async (_req, reply) =>
    reply.type(options.registry.contentType).send(await options.registry.metrics()),
  );
  return app;
}

function routeOf(params: { provider: string; namespace: string; channel: string }): RouteKey {
  return { provider: params.provider, namespace: params.namespace, channel: params.channel };
}

async function enqueueStored(
  producer: JobProducer,
  route: RouteKey,
  stored: readonly StoredEvent[],
): Promise<void> {
  const inbound = stored.filter(
    (s): s is Extract<StoredEvent, { queue: "inbound" }> => s.queue === "inbound" && s.pending,
  );
  const status = stored.filter((s): s is Extract<StoredEvent, { queue: "status" }> => s.queue === "status");
  await producer.addBulk(
    "inbound",
    inbound.map((s) => ({
      jobId: jobIds.inbound(route.provider, s.providerMessageId),
      data: { inboundId: s.id },
    })),
  );
  await producer.addBulk(
    "status",
    status.map((s) => ({
      jobId: jobIds.status(route.provider, s.providerMessageId, s.status),
      data: { deliveryEventId: s.id },
    })),
  );
}
