/**
 * Evolution API v2 payload shapes (reference: whatsapp-providers.md §1.3–§1.8): answers, the error
 * envelope and webhook `data` objects, as Evolution 2.3.x produces them.
 */
import { randomBytes } from "node:crypto";

const HTTP_TEXT: Record<number, string> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  429: "Too Many Requests",
  500: "Internal Server Error",
};

/** `{status, error, response: {message}}`, Evolution's only error shape. */
export function errorEnvelope(status: number, message: unknown): object {
  return { status, error: HTTP_TEXT[status] ?? "Error", response: { message } };
}

const ID_PREFIX = randomBytes(3).toString("hex").toUpperCase();
let idCounter = 0;

/** Baileys-style message id, e.g. `3EB0A1B2C3D4E5F60718`: unique per process, cheap to make. */
export function evolutionMessageId(): string {
  idCounter += 1;
  return `3EB0${ID_PREFIX}${idCounter.toString(16).toUpperCase().padStart(10, "0")}`;
}

export interface EnvelopeContext {
  instance: string;
  serverUrl: string;
  /** The instance's own JID (`wuid`). */
  sender: string;
  destination: string | null;
}

export function webhookEnvelope(event: string, data: unknown, ctx: EnvelopeContext): object {
  return {
    event,
    instance: ctx.instance,
    data,
    destination: ctx.destination,
    date_time: new Date().toISOString(),
    sender: ctx.sender,
    server_url: ctx.serverUrl,
    apikey: null,
  };
}

/** What `sendText` answers (201) and `send.message` carries: the prepared message, status PENDING. */
export function preparedMessage(m: {
  id: string;
  remoteJid: string;
  text: string;
  timestamp: number;
  instanceId: string;
}): object {
  return {
    key: { remoteJid: m.remoteJid, fromMe: true, id: m.id },
    pushName: "",
    status: "PENDING",
    message: { conversation: m.text },
    messageType: "conversation",
    messageTimestamp: m.timestamp,
    instanceId: m.instanceId,
    source: "unknown",
  };
}

/** `messages.upsert` data for a patient's reply; LID contacts come as `@lid` plus `remoteJidAlt` unless LID-only. */
export function inboundMessage(m: {
  id: string;
  phoneJid: string;
  lidJid?: string;
  lidOnly: boolean;
  pushName: string;
  text: string;
  timestamp: number;
  instanceId: string;
}): object {
  const key: Record<string, unknown> = m.lidJid
    ? {
        remoteJid: m.lidJid,
        fromMe: false,
        id: m.id,
        addressingMode: "lid",
        ...(m.lidOnly ? {} : { remoteJidAlt: m.phoneJid }),
      }
    : { remoteJid: m.phoneJid, fromMe: false, id: m.id };
  return {
    key,
    pushName: m.pushName,
    status: "DELIVERY_ACK",
    message: { conversation: m.text, messageContextInfo: {} },
    messageType: "conversation",
    messageTimestamp: m.timestamp,
    instanceId: m.instanceId,
    source: "android",
  };
}

export type EvolutionAck = "SERVER_ACK" | "DELIVERY_ACK" | "READ";

/** `messages.update` data for one of our messages. */
export function statusUpdate(m: {
  keyId: string;
  remoteJid: string;
  status: EvolutionAck;
  instanceId: string;
}): object {
  return {
    messageId: `cm${m.keyId.slice(4, 20).toLowerCase()}`,
    keyId: m.keyId,
    remoteJid: m.remoteJid,
    fromMe: true,
    participant: undefined,
    status: m.status,
    instanceId: m.instanceId,
  };
}

export function connectionUpdate(
  instance: string,
  wuid: string,
  state: "open" | "connecting" | "close",
): object {
  return {
    instance,
    wuid,
    profileName: "Central de Agendamentos",
    profilePictureUrl: null,
    state,
    statusReason: state === "open" ? 200 : 428,
  };
}
