/**
 * The control API under `/__control` (reference in docs/sandbox.md): configure the registry, patients,
 * faults and webhooks; inject inbound messages and connection changes; read what each number received,
 * the request log and the webhook log; reset.
 */
import type { FastifyInstance, FastifyReply } from "fastify";
import { z } from "zod";
import { faultsSchema, oneShotFaultSchema, registryUpdateSchema } from "./config.js";
import type { SandboxCore } from "./core.js";
import { emitInbound, setConnection } from "./delivery.js";
import { controlNumberKey, e164 } from "./numbers.js";

const inboundSchema = z.object({
  provider: z.enum(["evolution", "meta"]),
  /** Instance name or phone-number id; default the first configured. */
  channel: z.string().optional(),
  /** Any number form, an `@lid` JID or a BSUID known to the registry. */
  number: z.string().min(1),
  text: z.string().min(1),
});

const connectionSchema = z.object({
  instance: z.string().optional(),
  state: z.enum(["open", "connecting", "close"]),
});
const limitQuery = z.object({
  limit: z.coerce.number().int().positive().optional(),
  provider: z.enum(["evolution", "meta"]).optional(),
});

export function registerControlRoutes(app: FastifyInstance, core: SandboxCore): void {
  const parse = <T>(schema: z.ZodType<T>, value: unknown, reply: FastifyReply): T | undefined => {
    const result = schema.safeParse(value ?? {});
    if (result.success) return result.data;
    void reply.code(400).send({
      error: result.error.issues.map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`).join("; "),
    });
    return undefined;
  };
  const attempt = (reply: FastifyReply, fn: () => unknown) => {
    try {
      return fn();
    } catch (err) {
      return reply.code(400).send({ error: err instanceof Error ? err.message : String(err) });
    }
  };

  app.get("/__control/health", async () => ({ ok: true }));

  app.get("/__control/config", async () => ({
    ...core.config,
    registry: core.registry.snapshot(),
    pendingFaults: core.faults.pending(),
    connection: Object.fromEntries(core.connection),
  }));

  app.post("/__control/registry", async (req, reply) => {
    const update = parse(registryUpdateSchema, req.body, reply);
    if (!update) return reply;
    core.registry.apply(update);
    return { ok: true, records: core.registry.snapshot().numbers.length };
  });

  app.get("/__control/registry/resolve", async (req, reply) => {
    const number = (req.query as { number?: string }).number;
    if (!number) return reply.code(400).send({ error: "number: expected a number, JID or BSUID" });
    return (
      core.registry.resolve(number) ?? reply.code(404).send({ error: "no such LID or BSUID in the registry" })
    );
  });

  app.post("/__control/patients", async (req, reply) =>
    attempt(reply, () => (core.updatePatients(req.body), { ok: true, patients: core.config.patients })),
  );

  app.get("/__control/patients", async (req) => {
    const number = (req.query as { number?: string }).number;
    return {
      behaviours: core.patients.behaviourCounts(),
      ...(number ? { conversation: core.patients.conversation(controlNumberKey(number)) ?? null } : {}),
    };
  });

  app.post("/__control/faults", async (req, reply) =>
    attempt(reply, () => (core.updateFaults(req.body), { ok: true, faults: core.config.faults })),
  );

  app.post("/__control/faults/next", async (req, reply) => {
    const faults = parse(z.array(oneShotFaultSchema), Array.isArray(req.body) ? req.body : [req.body], reply);
    if (!faults) return reply;
    core.faults.enqueue(faults);
    return { ok: true, pending: core.faults.pending() };
  });

  app.delete("/__control/faults", async () => {
    core.config.faults = faultsSchema.parse({});
    core.faults.steady = core.config.faults;
    core.faults.clear();
    return { ok: true };
  });

  app.post("/__control/webhooks", async (req, reply) =>
    attempt(reply, () => (core.updateWebhooks(req.body), { ok: true, webhooks: core.config.webhooks })),
  );

  app.get("/__control/webhooks", async (req, reply) => {
    const q = parse(limitQuery, req.query, reply);
    if (!q) return reply;
    const entries = core.webhookLog.toArray(q.limit);
    return { entries: q.provider ? entries.filter((e) => e.provider === q.provider) : entries };
  });

  app.post("/__control/inbound", async (req, reply) => {
    const body = parse(inboundSchema, req.body, reply);
    if (!body) return reply;
    const resolved = core.registry.resolve(body.number);
    if (!resolved) return reply.code(404).send({ error: "number: no such LID or BSUID in the registry" });
    const channel =
      body.channel ??
      (body.provider === "evolution"
        ? core.config.evolution.instances[0]!.name
        : core.config.meta.phoneNumbers[0]!.id);
    return attempt(reply, () => ({
      providerMessageId: emitInbound(core, { provider: body.provider, channel, resolved }, body.text),
    }));
  });

  app.post("/__control/connection", async (req, reply) => {
    const body = parse(connectionSchema, req.body, reply);
    if (!body) return reply;
    return attempt(
      reply,
      () => (
        setConnection(core, body.instance ?? core.config.evolution.instances[0]!.name, body.state),
        { ok: true }
      ),
    );
  });

  app.get("/__control/received", async (req, reply) => {
    const number = (req.query as { number?: string }).number;
    if (!number) return { messages: core.mailbox.all() };
    const key = e164(controlNumberKey(number));
    return reply.send({ number: key, messages: core.mailbox.list(key) });
  });

  app.get("/__control/received-counts", async () => core.mailbox.counts());

  app.get("/__control/requests", async (req, reply) => {
    const q = parse(limitQuery, req.query, reply);
    if (!q) return reply;
    const entries = core.requestLog.toArray(q.limit);
    return {
      total: core.requestLog.count,
      entries: q.provider ? entries.filter((e) => e.provider === q.provider) : entries,
    };
  });

  app.get("/__control/stats", async () => ({
    requests: core.requestLog.count,
    received: core.mailbox.total,
    webhooks: {
      delivered: core.webhooks.delivered,
      failed: core.webhooks.failed,
      inFlight: core.webhooks.inFlight,
      attempts: core.webhookLog.count,
    },
    pendingTimers: core.scheduler.pending,
    heldAnswers: core.held.size,
  }));

  app.post("/__control/reset", async (req) => {
    const keepConfig = (req.body as { keepConfig?: unknown } | undefined)?.keepConfig === true;
    core.reset(keepConfig);
    return { ok: true };
  });
}
