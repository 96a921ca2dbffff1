/**
 * What happens once a provider accepted a message: the recipient's inbox, the send echo, the delivery
 * statuses over time, the simulated patient's answer; and how inbound messages become webhooks.
 */
import type { ConnectionState, EvolutionInstance, SandboxCore } from "./core.js";
import * as evo from "./evolution-payloads.js";
import * as meta from "./meta-payloads.js";
import { e164, lidJid } from "./numbers.js";
import type { ReplyTarget } from "./patients.js";
import type { ResolvedNumber } from "./registry.js";

const nowSeconds = () => Math.floor(Date.now() / 1000);

/**
 * Emits status steps in order: each is scheduled after the previous one fired (timers of different
 * lengths do not fire in a guaranteed order). Reordering, when on, is added per webhook on top.
 */
function inSequence(core: SandboxCore, steps: { atMs: number; emit: () => void }[], previousAt = 0): void {
  const [first, ...rest] = steps;
  if (!first) return;
  core.scheduler.afterWorld(Math.max(0, first.atMs - previousAt), () => {
    first.emit();
    inSequence(core, rest, first.atMs);
  });
}

export function installReplies(core: SandboxCore): void {
  core.replyHandler = (target, text) => void emitInbound(core, target, text);
}

function envelopeContext(core: SandboxCore, inst: EvolutionInstance): evo.EnvelopeContext {
  return {
    instance: inst.name,
    serverUrl: core.url,
    sender: inst.ownerJid,
    destination: core.config.webhooks.evolution.url,
  };
}

export function metaChannel(core: SandboxCore, phoneNumberId: string): meta.MetaChannel {
  const phone = core.config.meta.phoneNumbers.find((p) => p.id === phoneNumberId);
  return {
    wabaId: core.config.meta.wabaId,
    phoneNumberId,
    displayPhoneNumber: phone?.displayPhoneNumber ?? "",
  };
}

/** Evolution accepted a text to `jid`; returns the prepared message it answers with. */
export function acceptEvolutionSend(
  core: SandboxCore,
  inst: EvolutionInstance,
  resolved: ResolvedNumber,
  jid: string,
  text: string,
): object {
  const id = evo.evolutionMessageId();
  const prepared = evo.preparedMessage({
    id,
    remoteJid: jid,
    text,
    timestamp: nowSeconds(),
    instanceId: inst.id,
  });
  const { record } = resolved;
  const ctx = envelopeContext(core, inst);
  const hooks = core.webhooks.enabled("evolution");
  if (hooks)
    core.webhooks.evolution(inst.name, "send.message", evo.webhookEnvelope("send.message", prepared, ctx), 0);
  if (!record.ghost) {
    core.mailbox.add({
      at: Date.now(),
      provider: "evolution",
      channel: inst.name,
      number: e164(resolved.canonical),
      address: jid,
      providerMessageId: id,
      kind: "text",
      text,
    });
  }
  const statuses = core.config.webhooks.statuses;
  if (hooks && statuses.enabled) {
    const updateJid = record.lid ? lidJid(record.lid) : jid;
    const step = (status: evo.EvolutionAck, atMs: number) => ({
      atMs,
      emit: () =>
        core.webhooks.evolution(
          inst.name,
          "messages.update",
          evo.webhookEnvelope(
            "messages.update",
            evo.statusUpdate({ keyId: id, remoteJid: updateJid, status, instanceId: inst.id }),
            ctx,
          ),
          0,
        ),
    });
    const steps = [step("SERVER_ACK", statuses.delaysMs.sent)];
    if (!record.ghost) {
      if (statuses.delivered) steps.push(step("DELIVERY_ACK", statuses.delaysMs.delivered));
      if (statuses.read && record.readReceipts) steps.push(step("READ", statuses.delaysMs.read));
    }
    inSequence(core, steps);
  }
  if (!record.ghost) core.patients.onReceived({ provider: "evolution", channel: inst.name, resolved }, text);
  return prepared;
}

export interface MetaAccepted {
  id: string;
  /** A `failed` status is coming with this code instead of delivery. */
  failWith?: number;
}

/** Meta accepted a message (text or template) for `resolved`; `failWith` makes it fail asynchronously. */
export function acceptMetaSend(
  core: SandboxCore,
  phoneNumberId: string,
  resolved: ResolvedNumber,
  message: { kind: "text" | "template"; text: string; correlationId?: string; failWith?: number },
): MetaAccepted {
  const id = meta.wamid();
  const { record } = resolved;
  const waId = resolved.registeredDigits ?? resolved.canonical;
  const statuses = core.config.webhooks.statuses;
  const channel = metaChannel(core, phoneNumberId);
  const emit = (status: meta.MetaStatus, errorCode?: number) =>
    core.webhooks.meta(
      `statuses.${status}`,
      meta.webhookBody(
        channel,
        meta.statusValue({
          id,
          status,
          waId,
          bsuid: record.bsuid,
          bsuidOnly: record.bsuidOnly,
          timestamp: nowSeconds(),
          correlationId: message.correlationId,
          errorCode,
        }),
      ),
      0,
    );
  if (message.failWith !== undefined) {
    const code = message.failWith;
    inSequence(core, [{ atMs: statuses.delaysMs.sent, emit: () => emit("failed", code) }]);
    return { id, failWith: message.failWith };
  }
  if (!record.ghost) {
    core.mailbox.add({
      at: Date.now(),
      provider: "meta",
      channel: phoneNumberId,
      number: e164(resolved.canonical),
      address: waId,
      providerMessageId: id,
      kind: message.kind,
      text: message.text,
    });
  }
  if (statuses.enabled && core.webhooks.enabled("meta")) {
    const steps = [{ atMs: statuses.delaysMs.sent, emit: () => emit("sent") }];
    if (!record.ghost) {
      if (statuses.delivered)
        steps.push({ atMs: statuses.delaysMs.delivered, emit: () => emit("delivered") });
      if (statuses.read && record.readReceipts)
        steps.push({ atMs: statuses.delaysMs.read, emit: () => emit("read") });
    }
    inSequence(core, steps);
  }
  if (!record.ghost)
    core.patients.onReceived({ provider: "meta", channel: phoneNumberId, resolved }, message.text);
  return { id };
}

/** A contact writes to us: a `messages.upsert` (Evolution) or `messages` (Meta) webhook. */
export function emitInbound(core: SandboxCore, target: ReplyTarget, text: string): string {
  const { resolved } = target;
  const { record } = resolved;
  const digits = resolved.registeredDigits ?? resolved.canonical;
  core.lastInboundAt.set(resolved.canonical, Date.now());
  if (target.provider === "evolution") {
    const inst = core.instances.get(target.channel);
    if (!inst) throw new Error(`Unknown Evolution instance ${target.channel}`);
    const id = evo.evolutionMessageId();
    const data = evo.inboundMessage({
      id,
      phoneJid: `${digits}@s.whatsapp.net`,
      lidJid: record.lid ? lidJid(record.lid) : undefined,
      lidOnly: record.lidOnly,
      pushName: record.name,
      text,
      timestamp: nowSeconds(),
      instanceId: inst.id,
    });
    core.webhooks.evolution(
      inst.name,
      "messages.upsert",
      evo.webhookEnvelope("messages.upsert", data, envelopeContext(core, inst)),
      0,
    );
    return id;
  }
  const id = meta.wamid();
  const value = meta.inboundValue({
    id,
    waId: digits,
    bsuid: record.bsuid,
    bsuidOnly: record.bsuidOnly,
    name: record.name,
    text,
    timestamp: nowSeconds(),
  });
  core.webhooks.meta("messages", meta.webhookBody(metaChannel(core, target.channel), value), 0);
  return id;
}

/** Changes an instance's connection state and pushes `connection.update`. */
export function setConnection(core: SandboxCore, instance: string, state: ConnectionState): void {
  const inst = core.instances.get(instance);
  if (!inst) throw new Error(`Unknown Evolution instance ${instance}`);
  core.connection.set(instance, state);
  core.webhooks.evolution(
    inst.name,
    "connection.update",
    evo.webhookEnvelope(
      "connection.update",
      evo.connectionUpdate(inst.name, inst.ownerJid, state),
      envelopeContext(core, inst),
    ),
    0,
  );
}
