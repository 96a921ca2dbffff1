/**
 * Meta WhatsApp Cloud API endpoints (reference: whatsapp-providers.md §2): `/{version}/{phone-number-id}`
 * and `/{version}/{phone-number-id}/messages`, Bearer token, Graph error objects.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Operation } from "./config.js";
import type { SandboxCore } from "./core.js";
import { acceptMetaSend } from "./delivery.js";
import type { FaultContext } from "./faults.js";
import { metaError, unknownObject } from "./meta-payloads.js";
import {
  applyLatency,
  drop,
  holdAnswer,
  send,
  type Answer,
  type FaultOutcome,
  type RouteInfo,
} from "./route-kit.js";

type Req = FastifyRequest<{
  Params: { version: string; phoneNumberId: string };
  Body: Record<string, unknown> | undefined;
  Querystring: Record<string, string>;
}>;

const WINDOW_MS = 24 * 3_600_000;

export function registerMetaRoutes(app: FastifyInstance, core: SandboxCore): void {
  const guard = (req: Req): Answer | undefined => {
    if (!/^v\d+\.\d+$/.test(req.params.version)) {
      return graph(400, {
        error: {
          message: `Unknown path components: /${req.params.version}`,
          type: "OAuthException",
          code: 2500,
        },
      });
    }
    const auth = req.headers.authorization;
    const token = auth?.startsWith("Bearer ") ? auth.slice(7).trim() : req.query.access_token;
    if (token !== core.config.meta.accessToken) return toAnswer(metaError(190));
    if (!core.config.meta.phoneNumbers.some((p) => p.id === req.params.phoneNumberId))
      return toAnswer(unknownObject(req.params.phoneNumberId));
    return undefined;
  };

  app.get("/:version/:phoneNumberId", async (req: Req, reply: FastifyReply) => {
    const started = Date.now();
    const info: RouteInfo = {
      provider: "meta",
      operation: "connectionState",
      method: "GET",
      path: req.url.split("?")[0]!,
    };
    await applyLatency(core);
    const refused = guard(req);
    if (refused) return send(core, reply, info, started, refused);
    const f = await applyFault(
      core,
      reply,
      info,
      started,
      { provider: "meta", operation: "connectionState", channel: req.params.phoneNumberId },
      () => undefined,
    );
    if ("stop" in f) return send(core, reply, info, started, f.stop);
    const phone = core.config.meta.phoneNumbers.find((p) => p.id === req.params.phoneNumberId)!;
    return send(core, reply, info, started, {
      status: 200,
      body: {
        verified_name: "Central de Agendamentos (sandbox)",
        code_verification_status: "VERIFIED",
        display_phone_number: phone.displayPhoneNumber,
        quality_rating: "GREEN",
        platform_type: "CLOUD_API",
        throughput: { level: "STANDARD" },
        id: phone.id,
      },
      fault: f.fault,
    });
  });

  app.post("/:version/:phoneNumberId/messages", async (req: Req, reply: FastifyReply) => {
    const started = Date.now();
    const body = req.body ?? {};
    const operation: Operation =
      body.status === "read" ? "sendTyping" : body.type === "template" ? "sendTemplate" : "sendText";
    const info: RouteInfo = { provider: "meta", operation, method: "POST", path: req.url.split("?")[0]! };
    await applyLatency(core);
    const refused = guard(req);
    if (refused) return send(core, reply, info, started, refused);
    const pnid = req.params.phoneNumberId;
    if (body.messaging_product !== "whatsapp")
      return send(core, reply, info, started, param("messaging_product"));
    if (operation === "sendTyping") {
      if (typeof body.message_id !== "string") return send(core, reply, info, started, param("message_id"));
      const f = await applyFault(
        core,
        reply,
        info,
        started,
        { provider: "meta", operation, channel: pnid },
        () => undefined,
      );
      if ("stop" in f) return send(core, reply, info, started, f.stop);
      return send(core, reply, info, started, { status: 200, body: { success: true }, fault: f.fault });
    }
    if (typeof body.to !== "string" || body.to === "") return send(core, reply, info, started, param("to"));
    const content = readContent(body);
    if (typeof content === "string") return send(core, reply, info, started, param(content));
    const resolved = core.registry.resolve(body.to);
    if (!resolved)
      return send(core, reply, info, started, toAnswer(metaError(100, undefined, "Invalid parameter: to")));
    const correlationId =
      typeof body.biz_opaque_callback_data === "string" ? body.biz_opaque_callback_data : undefined;
    const lastInbound = core.lastInboundAt.get(resolved.canonical);
    const windowClosed =
      core.config.faults.meta.enforceWindow &&
      content.kind === "text" &&
      (lastInbound === undefined || Date.now() - lastInbound > WINDOW_MS);
    const failWith = !resolved.registeredDigits ? 131026 : windowClosed ? 131047 : undefined;
    const respondSync = core.config.faults.meta.undeliverable === "response";
    let accepted: { id: string } | undefined;
    const process = () => {
      if (failWith !== undefined && respondSync) return;
      accepted ??= acceptMetaSend(core, pnid, resolved, { ...content, correlationId, failWith });
    };
    const f = await applyFault(
      core,
      reply,
      info,
      started,
      { provider: "meta", operation, channel: pnid, canonical: resolved.canonical },
      process,
    );
    if ("stop" in f) return send(core, reply, info, started, f.stop);
    if (failWith !== undefined && respondSync)
      return send(core, reply, info, started, { ...toAnswer(metaError(failWith)), fault: f.fault });
    process();
    return send(core, reply, info, started, {
      status: 200,
      body: {
        messaging_product: "whatsapp",
        contacts: [{ input: body.to, wa_id: resolved.registeredDigits ?? resolved.canonical }],
        messages: [{ id: accepted!.id, message_status: "accepted" }],
      },
      fault: f.fault,
    });
  });
}

/** The text a recipient sees, or the name of the missing parameter. */
function readContent(body: Record<string, unknown>): { kind: "text" | "template"; text: string } | string {
  const type = body.type ?? "text";
  if (type === "text") {
    const text = (body.text as { body?: unknown } | undefined)?.body;
    return typeof text === "string" && text.length > 0 ? { kind: "text", text } : "text['body']";
  }
  if (type === "template") {
    const t = body.template as
      { name?: unknown; language?: { code?: unknown }; components?: unknown } | undefined;
    if (typeof t?.name !== "string") return "template['name']";
    if (typeof t.language?.code !== "string") return "template['language']['code']";
    const params = Array.isArray(t.components)
      ? t.components.flatMap((c: { type?: unknown; parameters?: { text?: unknown }[] }) =>
          c?.type === "body" && Array.isArray(c.parameters)
            ? c.parameters.map((p) => String(p?.text ?? ""))
            : [],
        )
      : [];
    return { kind: "template", text: [`template:${t.name}:${t.language.code}`, ...params].join("|") };
  }
  return "type";
}

function param(name: string): Answer {
  return toAnswer(metaError(100, undefined, `The parameter ${name} is required.`));
}

function toAnswer(e: { http: number; body: object }): Answer {
  return { status: e.http, body: e.body };
}

function graph(status: number, body: object): Answer {
  return { status, body };
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
    case "rate_overlimit":
    case "connection_closed":
      return { proceed: true };
    case "server_error":
      return {
        stop: { ...toAnswer(metaError(decision.status === 503 ? 2 : 1)), status: decision.status, fault },
      };
    case "meta_error":
      return { stop: { ...toAnswer(metaError(decision.code)), fault } };
    case "http_429":
      return {
        stop: {
          ...toAnswer(metaError(4)),
          status: 429,
          headers: { "retry-after": String(decision.retryAfterSeconds) },
          fault,
        },
      };
    case "unauthorized":
      return { stop: { ...toAnswer(metaError(190)), fault } };
    case "dropped_timeout":
      return { stop: await drop(core, reply, info, started) };
    case "accepted_timeout":
      process();
      await holdAnswer(core);
      return { proceed: true, fault };
  }
}
