/**
 * Evolution API v2 endpoints (reference: whatsapp-providers.md §1): paths at the root with the instance
 * last, guards in Evolution's order (instance exists → apikey), its validator's messages, its envelope.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Operation } from "./config.js";
import type { EvolutionInstance, SandboxCore } from "./core.js";
import { acceptEvolutionSend } from "./delivery.js";
import { errorEnvelope } from "./evolution-payloads.js";
import type { FaultContext } from "./faults.js";
import { evolutionCreateJid, lidJid, userPart } from "./numbers.js";
import type { ResolvedNumber } from "./registry.js";
import {
  applyLatency,
  drop,
  holdAnswer,
  send,
  sleep,
  type Answer,
  type FaultOutcome,
  type Outcome,
  type RouteInfo,
} from "./route-kit.js";

type Req = FastifyRequest<{ Params: { instance: string }; Body: Record<string, unknown> | undefined }>;
type Handler = (
  inst: EvolutionInstance,
  req: Req,
  fault: (ctx: Omit<FaultContext, "provider" | "channel">, process?: () => void) => Promise<FaultOutcome>,
) => Promise<Outcome>;

interface Lookup {
  exists: boolean;
  jid: string;
  resolved?: ResolvedNumber;
}

const PRESENCES = ["available", "unavailable", "composing", "recording", "paused"];

export function registerEvolutionRoutes(app: FastifyInstance, core: SandboxCore): void {
  const route = (method: "GET" | "POST", path: string, operation: Operation | "webhook", handler: Handler) =>
    app.route({
      method,
      url: path,
      handler: async (req: Req, reply: FastifyReply) => {
        const started = Date.now();
        const info: RouteInfo = {
          provider: "evolution",
          operation,
          method,
          path: path.replace(":instance", req.params.instance),
        };
        await applyLatency(core);
        const inst = core.instances.get(req.params.instance);
        if (!inst)
          return send(core, reply, info, started, {
            status: 404,
            body: errorEnvelope(404, [`The "${req.params.instance}" instance does not exist`]),
          });
        if (req.headers.apikey !== core.config.evolution.apiKey)
          return send(core, reply, info, started, { status: 401, body: errorEnvelope(401, "Unauthorized") });
        const fault = (
          ctx: Omit<FaultContext, "provider" | "channel">,
          process: () => void = () => undefined,
        ) =>
          applyFault(
            core,
            reply,
            info,
            started,
            { ...ctx, provider: "evolution", channel: inst.name },
            process,
          );
        return send(core, reply, info, started, await handler(inst, req, fault));
      },
    });

  route("POST", "/chat/whatsappNumbers/:instance", "checkNumbers", async (inst, req, fault) => {
    const numbers = req.body?.numbers;
    if (!Array.isArray(numbers) || !numbers.every((n) => typeof n === "string")) {
      return invalid(
        numbers === undefined
          ? 'instance requires property "numbers"'
          : "instance.numbers is not of a type(s) array",
      );
    }
    const f = await fault({ operation: "checkNumbers" });
    if ("stop" in f) return f.stop;
    if (core.connection.get(inst.name) !== "open") return connectionClosed(400);
    return { status: 200, body: numbers.map((input) => numberCheck(core, input)), fault: f.fault };
  });

  route("POST", "/message/sendText/:instance", "sendText", async (inst, req, fault) => {
    const body = req.body ?? {};
    if (typeof body.number !== "string") return invalid('instance requires property "number"');
    if (typeof body.text !== "string") return invalid('instance requires property "text"');
    const lookup = lookupForSend(core, body.number);
    const text = body.text;
    let accepted: object | undefined;
    const process = () => {
      if (lookup.exists && lookup.resolved)
        accepted ??= acceptEvolutionSend(core, inst, lookup.resolved, lookup.jid, text);
    };
    const f = await fault({ operation: "sendText", canonical: lookup.resolved?.canonical }, process);
    if ("stop" in f) return f.stop;
    if (core.connection.get(inst.name) !== "open") return connectionClosed(400);
    if (!lookup.exists)
      return {
        status: 400,
        body: errorEnvelope(400, [{ jid: lookup.jid, exists: false, number: body.number }]),
      };
    const delay = Number(body.delay ?? 0);
    if (delay > 0) await sleep(delay * core.scheduler.timeScale);
    process();
    return { status: 201, body: accepted, fault: f.fault };
  });

  route("POST", "/chat/sendPresence/:instance", "sendTyping", async (inst, req, fault) => {
    const body = req.body ?? {};
    for (const field of ["number", "presence", "delay"]) {
      if (body[field] === undefined) return invalid(`instance requires property "${field}"`);
    }
    if (typeof body.presence !== "string" || !PRESENCES.includes(body.presence)) {
      return invalid(`instance.presence is not one of enum values: ${PRESENCES.join(",")}`);
    }
    if (typeof body.delay !== "number") return invalid("instance.delay is not of a type(s) integer");
    const canonical =
      typeof body.number === "string" ? core.registry.resolve(body.number)?.canonical : undefined;
    const f = await fault({ operation: "sendTyping", canonical });
    if ("stop" in f) return f.stop;
    if (core.connection.get(inst.name) !== "open") return connectionClosed(400);
    await sleep(body.delay * core.scheduler.timeScale);
    return { status: 201, body: { presence: body.presence }, fault: f.fault };
  });

  route("GET", "/instance/connectionState/:instance", "connectionState", async (inst, _req, fault) => {
    const f = await fault({ operation: "connectionState" });
    if ("stop" in f) return f.stop;
    return {
      status: 200,
      body: { instance: { instanceName: inst.name, state: core.connection.get(inst.name) ?? "close" } },
      fault: f.fault,
    };
  });

  route("POST", "/webhook/set/:instance", "webhook", async (inst, req) => {
    const webhook = req.body?.webhook as Record<string, unknown> | undefined;
    if (!webhook || typeof webhook !== "object") return invalid('instance requires property "webhook"');
    if (webhook.enabled === undefined) return invalid('instance.webhook requires property "enabled"');
    if (typeof webhook.url !== "string") return invalid('instance.webhook requires property "url"');
    core.updateWebhooks({
      evolution: {
        url: webhook.enabled ? webhook.url : null,
        headers: (webhook.headers as Record<string, string> | undefined) ?? {},
        byEvents: webhook.byEvents === true,
        events: Array.isArray(webhook.events) ? webhook.events : [],
      },
    });
    return { status: 201, body: { instanceName: inst.name, webhook: { ...webhook } } };
  });

  route("GET", "/webhook/find/:instance", "webhook", async () => {
    const w = core.config.webhooks.evolution;
    return {
      status: 200,
      body: {
        enabled: w.url !== null,
        url: w.url,
        headers: w.headers,
        webhookByEvents: w.byEvents,
        webhookBase64: false,
        events: w.events,
      },
    };
  });
}

function invalid(message: string): Answer {
  return { status: 400, body: errorEnvelope(400, [message]) };
}

function connectionClosed(status: number, fault?: string): Answer {
  return { status, body: errorEnvelope(status, ["Error: Connection Closed"]), fault };
}

/** `whatsappNumbers` for one input: `createJid`, then a registry answer for either 9th-digit form. */
function numberCheck(core: SandboxCore, input: string): object {
  if (input.endsWith("@lid")) return { exists: true, jid: input, number: input };
  const lookup = lookupForSend(core, input);
  const lid = lookup.resolved?.record.lid;
  return lookup.exists
    ? { exists: true, jid: lookup.jid, number: input, ...(lid ? { lid: lidJid(lid) } : {}) }
    : { exists: false, jid: lookup.jid, number: input };
}

function lookupForSend(core: SandboxCore, number: string): Lookup {
  if (number.endsWith("@lid")) {
    const resolved = core.registry.resolve(number);
    return { exists: !!resolved?.registeredDigits, jid: number, resolved };
  }
  const jid = evolutionCreateJid(number);
  const resolved = core.registry.resolve(userPart(jid));
  if (resolved?.registeredDigits)
    return { exists: true, jid: `${resolved.registeredDigits}@s.whatsapp.net`, resolved };
  return { exists: false, jid, resolved };
}

async function applyFault(
  core: SandboxCore,
  reply: FastifyReply,
  info: RouteInfo,
  started: number,
  ctx: FaultContext,
  process: () => void,
): Promise<FaultOutcome> {
  const decision = core.faults.decide(ctx);
  const fault = decision.type;
  switch (decision.type) {
    case "none":
    case "meta_error":
      return { proceed: true };
    case "server_error":
      return {
        stop: {
          status: decision.status,
          body: errorEnvelope(decision.status, ["Error: Internal Server Error"]),
          fault,
        },
      };
    case "connection_closed":
      return { stop: connectionClosed(decision.status, fault) };
    case "rate_overlimit":
      return { stop: { status: 400, body: errorEnvelope(400, ["Error: rate-overlimit"]), fault } };
    case "http_429":
      return {
        stop: {
          status: 429,
          body: errorEnvelope(429, "Too Many Requests"),
          headers: { "retry-after": String(decision.retryAfterSeconds) },
          fault,
        },
      };
    case "unauthorized":
      return { stop: { status: 401, body: errorEnvelope(401, "Unauthorized"), fault } };
    case "dropped_timeout":
      return { stop: await drop(core, reply, info, started) };
    case "accepted_timeout":
      process();
      await holdAnswer(core);
      return { proceed: true, fault };
  }
}
