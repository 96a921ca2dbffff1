/**
 * Evolution webhook bodies → events (reference: whatsapp-providers.md §1.6; busca-ativa-domain.md §5.1).
 *
 * Envelope `{event, instance, data, date_time, …}`; `event` may be `messages.upsert` or
 * `MESSAGES_UPSERT`. Handled: messages.upsert (replies; `fromMe` and group messages are skipped),
 * messages.update (statuses of our messages), send.message (echo of our sends), connection.update and
 * status.instance. Every other event yields nothing. A body that is not an Evolution envelope throws.
 */
import { z } from "zod";
import { canonicalE164, isLidJid, isPhoneJid, jidUser } from "../brazil-numbers.js";
import { MalformedWebhookError } from "../provider-error.js";
import type { ConnectionState, ContactRef, DeliveryStatus, InboundEvent } from "../types.js";

const envelopeSchema = z.looseObject({
  event: z.string().min(1),
  instance: z.string().min(1),
  data: z.unknown(),
  date_time: z.string().optional(),
});

const keySchema = z.looseObject({
  id: z.string().min(1),
  remoteJid: z.string().min(1),
  fromMe: z.boolean().optional(),
  remoteJidAlt: z.string().optional(),
  senderPn: z.string().optional(),
});

const upsertSchema = z.looseObject({
  key: keySchema,
  message: z.record(z.string(), z.unknown()).nullish(),
  messageTimestamp: z.unknown().optional(),
});

const updateSchema = z.looseObject({
  keyId: z.string().optional(),
  messageId: z.string().optional(),
  key: z.looseObject({ id: z.string() }).optional(),
  remoteJid: z.string().optional(),
  fromMe: z.boolean().optional(),
  status: z.union([z.string(), z.number()]),
});

const STATUS_BY_NAME: Record<string, DeliveryStatus | undefined> = {
  ERROR: "failed",
  SERVER_ACK: "sent",
  DELIVERY_ACK: "delivered",
  READ: "read",
  PLAYED: "played",
};
const STATUS_BY_NUMBER = ["ERROR", "PENDING", "SERVER_ACK", "DELIVERY_ACK", "READ", "PLAYED"];

export function parseEvolutionWebhook(rawBody: Buffer, now: Date): InboundEvent[] {
  let json: unknown;
  try {
    json = JSON.parse(rawBody.toString("utf8"));
  } catch {
    throw new MalformedWebhookError("evolution", "the body is not JSON");
  }
  const envelope = envelopeSchema.safeParse(json);
  if (!envelope.success) throw new MalformedWebhookError("evolution", "missing event, instance or data");
  const { event, instance: channel, data } = envelope.data;
  const sentAt = parseDate(envelope.data.date_time) ?? now;
  const items = Array.isArray(data) ? data : [data];
  switch (event.replace(/[.-]/g, "_").toUpperCase()) {
    case "MESSAGES_UPSERT":
      return items.flatMap((item) => upsertEvent(item, channel, sentAt, "message"));
    case "SEND_MESSAGE":
      return items.flatMap((item) => upsertEvent(item, channel, sentAt, "outbound"));
    case "MESSAGES_UPDATE":
      return items.flatMap((item) => updateEvent(item, channel, sentAt));
    case "CONNECTION_UPDATE":
      return connectionEvent(data, channel, sentAt, "state");
    case "STATUS_INSTANCE":
      return connectionEvent(data, channel, sentAt, "status");
    default:
      return [];
  }
}

function upsertEvent(
  item: unknown,
  channel: string,
  sentAt: Date,
  type: "message" | "outbound",
): InboundEvent[] {
  const parsed = upsertSchema.safeParse(item);
  if (!parsed.success)
    throw new MalformedWebhookError(
      "evolution",
      `a ${type === "message" ? "messages.upsert" : "send.message"} item has no key`,
    );
  const { key, message } = parsed.data;
  const chat = key.remoteJid;
  if (chat.endsWith("@g.us") || chat.endsWith("@broadcast") || chat.endsWith("@newsletter")) return [];
  const fromMe = key.fromMe === true;
  if (type === "message" && fromMe) return [];
  if (type === "outbound" && !fromMe) return [];
  const content = readContent(message ?? {});
  const at = epochSeconds(parsed.data.messageTimestamp) ?? sentAt;
  const contact = contactOf(key);
  if (type === "outbound") {
    return [{ type: "outbound", channel, providerMessageId: key.id, to: contact, text: content.text, at }];
  }
  return [
    {
      type: "message",
      channel,
      providerMessageId: key.id,
      from: contact,
      text: content.text,
      kind: content.kind,
      at,
    },
  ];
}

/** The sender: the phone JID when one is known (`remoteJidAlt`, older `senderPn`), else the `@lid` JID. */
export function contactOf(key: { remoteJid: string; remoteJidAlt?: string; senderPn?: string }): ContactRef {
  const candidates = [key.remoteJid, key.remoteJidAlt, key.senderPn]
    .filter((jid): jid is string => typeof jid === "string" && jid.length > 0)
    .map((jid) => (/^\d+$/.test(jid) ? `${jid}@s.whatsapp.net` : jid));
  const phone = candidates.find(isPhoneJid);
  const lid = candidates.find(isLidJid);
  const contact: ContactRef = { address: phone ?? lid ?? key.remoteJid };
  if (phone) contact.e164 = canonicalE164(jidUser(phone));
  if (lid) contact.lid = lid;
  return contact;
}

const WRAPPERS = [
  "ephemeralMessage",
  "viewOnceMessage",
  "viewOnceMessageV2",
  "documentWithCaptionMessage",
  "editedMessage",
];
const MEDIA = [
  "imageMessage",
  "videoMessage",
  "audioMessage",
  "documentMessage",
  "stickerMessage",
  "ptvMessage",
];

/** Text from `conversation`, `extendedTextMessage.text` (folded), button/list replies, or wrapped messages. */
export function readContent(
  message: Record<string, unknown>,
  depth = 0,
): { text: string | null; kind: "text" | "media" | "other" } {
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
  const field = (name: string, sub: string) => {
    const inner = message[name];
    return inner && typeof inner === "object" ? str((inner as Record<string, unknown>)[sub]) : undefined;
  };
  const text =
    str(message.conversation) ??
    field("extendedTextMessage", "text") ??
    field("buttonsResponseMessage", "selectedDisplayText") ??
    field("templateButtonReplyMessage", "selectedDisplayText") ??
    field("listResponseMessage", "title");
  if (text !== undefined) return { text, kind: "text" };
  if (depth < 3) {
    for (const wrapper of WRAPPERS) {
      const inner = message[wrapper];
      const wrapped =
        inner && typeof inner === "object" ? (inner as { message?: unknown }).message : undefined;
      if (wrapped && typeof wrapped === "object")
        return readContent(wrapped as Record<string, unknown>, depth + 1);
    }
  }
  if (MEDIA.some((name) => name in message)) return { text: null, kind: "media" };
  return { text: null, kind: "other" };
}

function updateEvent(item: unknown, channel: string, sentAt: Date): InboundEvent[] {
  const parsed = updateSchema.safeParse(item);
  if (!parsed.success) throw new MalformedWebhookError("evolution", "a messages.update item has no status");
  const update = parsed.data;
  const id = update.keyId ?? update.key?.id ?? update.messageId;
  if (!id || update.fromMe === false) return [];
  const name =
    typeof update.status === "number" ? STATUS_BY_NUMBER[update.status] : update.status.toUpperCase();
  const status = name ? STATUS_BY_NAME[name] : undefined;
  if (!status) return [];
  const event: InboundEvent = { type: "status", channel, providerMessageId: id, status, at: sentAt };
  if (update.remoteJid) event.to = contactOf({ remoteJid: update.remoteJid });
  if (status === "failed")
    event.error = { classification: { kind: "retryable", reason: "provider_error" }, code: "ERROR" };
  return [event];
}

function connectionEvent(
  data: unknown,
  channel: string,
  at: Date,
  field: "state" | "status",
): InboundEvent[] {
  const value = data && typeof data === "object" ? (data as Record<string, unknown>)[field] : undefined;
  const state: ConnectionState | undefined =
    value === "open" || value === "connecting" || value === "close"
      ? value
      : value === "closed"
        ? "close"
        : undefined;
  return state ? [{ type: "connection", channel, state, at }] : [];
}

/** Baileys timestamps come as numbers, numeric strings or Long objects `{low, high}`. */
function epochSeconds(value: unknown): Date | undefined {
  let seconds: number | undefined;
  if (typeof value === "number") seconds = value;
  else if (typeof value === "string" && /^\d+$/.test(value)) seconds = Number(value);
  else if (value && typeof value === "object" && typeof (value as { low?: unknown }).low === "number") {
    const { low, high } = value as { low: number; high?: number };
    seconds = (high ?? 0) * 2 ** 32 + (low >>> 0);
  }
  return seconds !== undefined && seconds > 0 ? new Date(seconds * 1000) : undefined;
}

function parseDate(value: string | undefined): Date | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
